import { describe, expect, it } from "vitest";
import { bracketedKeyHint } from "../../../src/config/parse/collection-key.js";

/** The offset of the first `{` or `[` on the last line, where the parser stops. */
function atBracket(text: string): number {
  const lastLine = text.lastIndexOf("\n") + 1;
  return lastLine + text.slice(lastLine).search(/[{[]/);
}

describe("bracketedKeyHint: a line that starts with a key in { } or [ ]", () => {
  it.each([
    ["a mapping key after others", "name: crm\n{password}: S3cret", true],
    ["a list key", "[a, b]: c", true],
    ["an indented key", "webhook:\n  url: x\n  {token}: y", true],
    ["a key whose value is on the next line", "name: crm\n{a}:", true],
    ["tabs around it", "\t[a]\t: b", true],
    ["text before it on its line", "name: {a}: b", false],
    ["no space after the colon", "name: crm\n{a}:b", false],
    ["no colon", "name: crm\n{a} b", false],
    ["brackets that do not close on the line", "name: crm\n{a\n}: b", false],
  ])("%s: %s → %s", (_, text, hinted) => {
    const offset = text.includes("\n}") ? text.indexOf("{") : atBracket(text);
    const hint = bracketedKeyHint(offset, text);
    expect(hint === undefined ? false : hint.offset === offset).toBe(hinted);
    if (hinted) expect(hint?.message).toMatch(/^YAML: this key is in \{ \} or \[ \]/);
  });
});
