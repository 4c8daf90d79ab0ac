import { describe, expect, it } from "vitest";
import { textSentAsWritten } from "../../../src/config/rules/sent-as-written.js";
import type { RawFieldSpec } from "../../../src/config/parse/raw.js";
import { displayPath } from "../../../src/config/text.js";
import { makeRawIntegration } from "../../support/integration.js";

const WORD = (i: number, field: string) =>
  `webhook.pathArguments[${i}]: ${field} is sent as the word ${field}; to send the event's ${field}, write "{${field}}"`;
const SLASH = (i: number) =>
  `webhook.pathArguments[${i}]: its "/" is sent as %2F, inside one path segment; to add a segment, give each part a path argument of its own`;

describe("textSentAsWritten on path arguments", () => {
  it.each<[string, string[], string[]]>([
    ["a field's camel-case name", ["serviceUuid"], [WORD(0, "serviceUuid")]],
    ["one among others", ["users", "extensionNumber"], [WORD(1, "extensionNumber")]],
    // Words a URL may hold as such: `/accounts/account/acme` is a REST shape.
    ["a field's name that is a plain word", ["account", "name", "event"], []],
    ["a placeholder", ["{serviceUuid}"], []],
    ["a field's name in other text", ["serviceUuid-x"], []],
    ["a slash between placeholders", ["{serviceUuid}/{extensionNumber}"], [SLASH(0)]],
    ["a slash of its own", ["users/", "{extensionNumber}"], [SLASH(0)]],
    // A reference's value is not known here, and ${file:…} is written with slashes.
    ["a slash inside a reference", ["${file:/run/secrets/segment}"], []],
    ["a slash written after a reference", ["${env:TENANT}/x"], [SLASH(0)]],
    ["no slash", ["ext-{extensionNumber}", ""], []],
  ])("for %s: %j", (_what, pathArguments, messages) => {
    const found = textSentAsWritten(makeRawIntegration({ pathArguments }));
    expect(found.map((w) => w.message)).toEqual(messages);
  });

  it("points each warning at its path argument", () => {
    const found = textSentAsWritten(makeRawIntegration({ pathArguments: ["x", "a/b"] }));
    expect(found.map((w) => w.path)).toEqual([["webhook", "pathArguments", 1]]);
  });
});

describe("textSentAsWritten on constants", () => {
  const PLACEHOLDER = (key: string, field: string) =>
    `webhook.fields.${key}.value: {${field}} is sent as written, braces and all, as a value is sent unchanged; to fill it in, write {template: …} instead of {value: …}`;
  it.each<[string, Record<string, RawFieldSpec>, string[]]>([
    ["a placeholder in a value", { label: { value: "{name}" } }, [PLACEHOLDER("label", "name")]],
    [
      "the first of two, in text",
      { label: { value: "ext {extensionNumber} of {account}" } },
      [PLACEHOLDER("label", "extensionNumber")],
    ],
    ["braces around no field", { label: { value: "{nope}" } }, []],
    ["a template", { label: { template: "{name}" } }, []],
    ["a field", { label: "name" }, []],
    ["a number", { n: { value: 7 } }, []],
    ["null", { n: { value: null } }, []],
  ])("for %s", (_what, fields, messages) => {
    const found = textSentAsWritten(makeRawIntegration({ fields }));
    expect(found.map((w) => w.message)).toEqual(messages);
  });

  it("points the warning at the value", () => {
    const [found] = textSentAsWritten(makeRawIntegration({ fields: { a: { value: "{name}" } } }));
    expect(found?.path).toEqual(["webhook", "fields", "a", "value"]);
  });
});

describe("textSentAsWritten on request keys", () => {
  const KEY = (key: string, what: string) =>
    `${displayPath(["webhook", "fields", key])}: this request key is sent as written, ${what} included, as keys are never filled in; write the key the receiver expects`;
  it.each<[string, string, string[]]>([
    ["an environment reference", "${env:KEY}", [KEY("${env:KEY}", "a ${…} reference")]],
    ["a file reference in text", "x-${file:k}", [KEY("x-${file:k}", "a ${…} reference")]],
    ["a placeholder", "{name}", [KEY("{name}", "the placeholder {name}")]],
    [
      "a placeholder in text",
      "ext_{extensionNumber}",
      [KEY("ext_{extensionNumber}", "the placeholder {extensionNumber}")],
    ],
    ["braces around no field", "{nope}", []],
    ["an escaped reference", "$${env:KEY}", []],
    ["a malformed reference", "${KEY}", []],
    ["a plain key", "fullName", []],
  ])("for %s", (_what, key, messages) => {
    const found = textSentAsWritten(makeRawIntegration({ fields: { [key]: "name" } }));
    expect(found.map((w) => w.message)).toEqual(messages);
    // Pointed at the key itself, not at the field it is sent with.
    expect(found.map((w) => [w.path, w.onKey])).toEqual(
      messages.map(() => [["webhook", "fields", key], true]),
    );
  });
});
