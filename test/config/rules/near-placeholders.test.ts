import { describe, expect, it } from "vitest";
import { nearMissPlaceholders } from "../../../src/config/rules/near-placeholders.js";
import { makeRawIntegration } from "../../support/integration.js";

const template = (text: string) => makeRawIntegration({ fields: { label: { template: text } } });

describe("nearMissPlaceholders: braces around a field's name that are no placeholder", () => {
  it.each<[string, string[]]>([
    ["{{name}}", ["{{name}} sends the value between braces"]],
    ["{{ name }}", ["{{ name }} is sent as written"]],
    ["{ name }", ["{ name } is sent as written"]],
    ["{name }", ["{name } is sent as written"]],
    ["{ extensionNumber}", ["{ extensionNumber} is sent as written"]],
    ["{  name}", ["{  name} is sent as written"]],
    ["{name  }", ["{name  } is sent as written"]],
    ["{first  name}", ["{first  name} is sent as written"]],
    ["Hi {{name}} ({ extensionNumber })", ["{{name}} sends", "{ extensionNumber } is sent"]],
    ["{user.extension}", ["{user.extension} is sent as written"]],
    ["ext-{data.user.outboundNumber}", ["{data.user.outboundNumber} is sent as written"]],
    ["{ext-number} {first name}", ["{ext-number} is sent", "{first name} is sent"]],
    ["{{service.uuid}}", ["{service.uuid} is sent as written"]],
    ["{name", ["{name has no closing brace, so it is sent as written; a placeholder is {name}"]],
    ["{name} ({extensionNumber)", ["{extensionNumber has no closing brace"]],
    ["{name (ext {extensionNumber})", ["{name has no closing brace"]],
    ["name} calls", ["name} has no opening brace, so it is sent as written"]],
    ["{name}}", ["{name}} sends a } after the value; a placeholder has one pair: {name}"]],
    ["{{name}", ["{{name} sends a { before the value; a placeholder has one pair: {name}"]],
    ["{name}} and {{extensionNumber}", []],
    ["{{name}} with a brace left open {", ["{{name}} sends the value between braces"]],
    ['{"ext":{extensionNumber}}', []],
    ['{"ext":{extensionNumber}', []],
    ["{notAField", []],
    ["notAField}", []],
    ["{user.name", []],
    ["{name}", []],
    ["{name} ({extensionNumber}) at {serviceUuid}", []],
    ["{name} ({extensionNumber}) at {service uuid}", ["{service uuid} is sent as written"]],
    ["{name} ({extensionNumber}) {", []],
    ["{name} ({extensionNumber}) {name", ["{name has no closing brace"]],
    ["{a.}", []],
    ["{.name}", []],
    ["{}", []],
    ["{ notAField }", []],
    ["{{notAField}}", []],
    ['{"a": 1}', []],
    ["{ }", []],
    ["${env:X}", []],
    ["$${ name }", []],
    ["$${name}", []],
    ["$${name} and {name}", []],
    ["$${x} name}", ["name} has no opening brace"]],
    ["$${x}{name", ["{name has no closing brace"]],
    ["$${name}}", []],
  ])("in %j warns %j", (text, starts) => {
    const found = nearMissPlaceholders(template(text)).map((w) => w.message);
    expect(found).toHaveLength(starts.length);
    starts.forEach((start, i) =>
      expect(found[i]).toContain(`webhook.fields.label.template: ${start}`),
    );
  });

  it("looks at header values and path arguments too, and says what to write", () => {
    const raw = makeRawIntegration({
      headers: { "X-User": "{ name }" },
      pathArguments: ["{{serviceUuid}}"],
    });
    expect(nearMissPlaceholders(raw)).toEqual([
      {
        path: ["webhook", "pathArguments", 0],
        message:
          "webhook.pathArguments[0]: {{serviceUuid}} sends the value between braces ({serviceUuid} filled in, inside { and }); a placeholder has one pair: {serviceUuid}",
      },
      {
        path: ["webhook", "headers", "X-User"],
        message:
          "webhook.headers.X-User: { name } is sent as written, not as a placeholder, which has no spaces: {name}",
      },
    ]);
  });

  it("names the field a path into the event stands for, or lists the fields", () => {
    const messages = (text: string) =>
      nearMissPlaceholders(template(text)).map((w) => w.message.replace(/^[^:]*: /, ""));
    expect(messages("{user.extension}")).toEqual([
      "{user.extension} is sent as written, not as a placeholder, which is one field's name in braces (did you mean {extensionNumber}?)",
    ]);
    expect(messages("{first name}")).toEqual([
      expect.stringMatching(
        /^\{first name\} is sent as written, .*; fields are: extensionNumber, name, /,
      ),
    ]);
  });
});
