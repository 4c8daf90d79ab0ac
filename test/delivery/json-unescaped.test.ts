import { describe, expect, it } from "vitest";
import { jsonUnescaped } from "../../src/delivery/json-unescaped.js";

describe("jsonUnescaped reads an answer's JSON escapes and keeps where each character began", () => {
  it.each([
    ["plain text as it is", "abc", "abc", [0, 1, 2, 3]],
    ["\\/ as /", String.raw`a\/b`, "a/b", [0, 1, 3, 4]],
    ['\\" and \\\\', String.raw`\"\\`, '"\\', [0, 2, 4]],
    ["\\n, \\t, \\r, \\b, \\f", String.raw`\n\t\r\b\f`, "\n\t\r\b\f", [0, 2, 4, 6, 8, 10]],
    ["\\u in lower-case hex", String.raw`\u00e9`, "é", [0, 6]],
    ["\\u in upper-case hex", String.raw`x\u003Cy`, "x<y", [0, 1, 7, 8]],
    ["an unknown escape as it is", String.raw`\q`, "\\q", [0, 1, 2]],
    ["a \\u without four hex digits as it is", String.raw`\u12x`, "\\u12x", [0, 1, 2, 3, 4, 5]],
    ["without an escape cut short at the end", String.raw`a\u00`, "a", [0, 1]],
    ["without a backslash at the end", "a\\", "a", [0, 1]],
    ["an escaped backslash at the end", String.raw`a\\`, "a\\", [0, 1, 3]],
    ["an empty text", "", "", [0]],
  ])("reads %s", (_what, answer, text, starts) => {
    expect(jsonUnescaped(answer)).toEqual({ text, starts });
  });
});
