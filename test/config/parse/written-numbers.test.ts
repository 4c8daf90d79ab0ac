import { describe, expect, it } from "vitest";
import { parseYamlDocuments } from "../../../src/config/parse/parse.js";
import { numbersNotAsWritten } from "../../../src/config/parse/written-numbers.js";

/** The problems of a webhook whose `map` holds one entry written `key: value`. */
function problemsOf(map: "fields" | "headers", key: string, value = "name") {
  const text = `name: a\nwebhook:\n  url: http://127.0.0.1:9/x\n  ${map}:\n    ${key}: ${value}\n`;
  const [doc] = parseYamlDocuments(text).documents;
  return numbersNotAsWritten(doc!).map((p) => [p.path.join("."), p.onKey ?? false]);
}

describe("names YAML reads as numbers", () => {
  it.each([
    ["fields", "007", "webhook.fields.7"],
    ["fields", "+7", "webhook.fields.7"],
    ["fields", "1e3", "webhook.fields.1000"],
    ["fields", "1.50", "webhook.fields.1.5"],
    ["fields", "0o17", "webhook.fields.15"],
    ["fields", ".inf", "webhook.fields.Infinity"],
    ["fields", "-.INF", "webhook.fields.-Infinity"],
    ["fields", ".nan", "webhook.fields.NaN"],
    ["headers", "0x1F", "webhook.headers.31"],
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
  ] as const)("keeps the %s name %s, sent as written", (map, key) => {
    expect(problemsOf(map, key)).toEqual([]);
  });

  it("says what is sent and how to send what is written", () => {
    const text = "webhook:\n  fields:\n    007: extensionNumber\n";
    const [doc] = parseYamlDocuments(text).documents;
    expect(numbersNotAsWritten(doc!).map((p) => p.message)).toEqual([
      'webhook.fields: the field name 007 is read by YAML as the number 7, and "7" is the name that would be sent: put it in quotes to send "007"',
    ]);
  });
});
