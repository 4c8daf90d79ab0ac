import { describe, expect, it } from "vitest";
import { parseYamlDocuments } from "../../../src/config/parse/parse.js";
import { numbersNotAsWritten } from "../../../src/config/parse/written-numbers.js";

/** The problems of a webhook whose `map` holds one entry written `key: value`. */
function problemsOf(map: "fields" | "headers", key: string, value = "name") {
  const text = `name: a\nwebhook:\n  url: http://127.0.0.1:9/x\n  ${map}:\n    ${key}: ${value}\n`;
  const [doc] = parseYamlDocuments(text).documents;
  return numbersNotAsWritten(doc!).map((p) => [p.path.join("."), p.onKey ?? false]);
}

describe("names YAML reads as numbers or booleans", () => {
  it.each([
    ["fields", "007", "webhook.fields.7"],
    ["fields", "+7", "webhook.fields.7"],
    ["fields", "1e3", "webhook.fields.1000"],
    ["fields", "1.50", "webhook.fields.1.5"],
    ["fields", "0o17", "webhook.fields.15"],
    ["fields", ".inf", "webhook.fields.Infinity"],
    ["fields", "-.INF", "webhook.fields.-Infinity"],
    ["fields", ".nan", "webhook.fields.NaN"],
    ["fields", "1E-7", "webhook.fields.1e-7"],
    ["fields", "1e21", "webhook.fields.1e+21"],
    ["headers", "0x1F", "webhook.headers.31"],
    ["headers", "True", "webhook.headers.true"],
    ["fields", "FALSE", "webhook.fields.false"],
  ] as const)("refuses the %s name %s, read as %s", (map, key, path) => {
    expect(problemsOf(map, key)).toEqual([[path, true]]);
  });

  it.each([
    ["fields", "7"],
    ["fields", "-1"],
    ["fields", "1.5"],
    ["fields", '"007"'],
    ["fields", "'007'"],
    ["fields", "1_000"],
    ["fields", "ext"],
    ["headers", "X-Seven"],
    ["headers", '"0x1F"'],
    ["headers", "true"],
    ["fields", "false"],
    ["headers", '"True"'],
    ["headers", "Yes"],
  ] as const)("keeps the %s name %s, sent as written", (map, key) => {
    expect(problemsOf(map, key)).toEqual([]);
  });

  it("says a header's name is the header's", () => {
    const text = "webhook:\n  headers:\n    0x1F: v\n";
    const [doc] = parseYamlDocuments(text).documents;
    expect(numbersNotAsWritten(doc!).map((p) => p.message)).toEqual([
      'webhook.headers: the header name 0x1F is read by YAML as the number 31, and "31" is the name that would be sent: put it in quotes to send "0x1F"',
    ]);
  });

  it("says a name read as a boolean is sent as the boolean's text", () => {
    const text = "webhook:\n  headers:\n    True: v\n";
    const [doc] = parseYamlDocuments(text).documents;
    expect(numbersNotAsWritten(doc!).map((p) => p.message)).toEqual([
      'webhook.headers: the header name True is read by YAML as the boolean true, and "true" is the name that would be sent: put it in quotes to send "True"',
    ]);
  });

  it("says what is sent and how to send what is written", () => {
    const text = "webhook:\n  fields:\n    007: extensionNumber\n";
    const [doc] = parseYamlDocuments(text).documents;
    expect(numbersNotAsWritten(doc!).map((p) => p.message)).toEqual([
      'webhook.fields: the field name 007 is read by YAML as the number 7, and "7" is the name that would be sent: put it in quotes to send "007"',
    ]);
  });
});

describe("field values YAML reads as numbers", () => {
  it.each([
    ["0123", 123],
    ["-0123", -123],
    ["+61290000000", 61290000000],
    ["0x1F", 31],
    ["0o17", 15],
  ])("refuses the value %s, read as %d", (written, read) => {
    expect(problemsOf("fields", "ext", `{ value: ${written} }`)).toEqual([
      ["webhook.fields.ext.value", false],
    ]);
    const [doc] = parseYamlDocuments(
      `webhook:\n  fields:\n    ext: { value: ${written} }\n`,
    ).documents;
    expect(numbersNotAsWritten(doc!).map((p) => p.message)).toEqual([
      `webhook.fields.ext.value is written ${written}, which YAML reads as the number ${read}, and that is what would be sent: put it in quotes to send "${written}"`,
    ]);
  });

  it.each(["123", "-1", "0", "0.5", "-0.5", "1e3", '"0123"'])("keeps the value %s", (written) => {
    expect(problemsOf("fields", "ext", `{ value: ${written} }`)).toEqual([]);
  });
});
