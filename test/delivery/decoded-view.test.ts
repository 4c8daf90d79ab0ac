import { describe, expect, it } from "vitest";
import { decodedView } from "../../src/delivery/decoded-view.js";

describe("decodedView reads an answer's escapes and keeps where each character began", () => {
  it.each([
    ["plain text, in lower case", "aBc", "abc", [0, 1, 2, 3]],
    ["only A–Z in lower case", "ÉÀZ", "ÉÀz", [0, 1, 2, 3]],
    ["JSON's \\/ as /", String.raw`a\/b`, "a/b", [0, 1, 3, 4]],
    ["JSON's \\\" and \\\\", String.raw`\"\\`, '"\\', [0, 2, 4]],
    ["JSON's \\n, \\t, \\r, \\b, \\f", String.raw`\n\t\r\b\f`, "\n\t\r\b\f", [0, 2, 4, 6, 8, 10]],
    ["JSON's \\u in lower-case hex", String.raw`\u00e9`, "é", [0, 6]],
    ["JSON's \\u in upper-case hex", String.raw`x\u003Cy`, "x<y", [0, 1, 7, 8]],
    ["an unknown JSON escape as it is", String.raw`\q`, "\\q", [0, 1, 2]],
    ["a \\u without four hex digits as it is", String.raw`\u12x`, "\\u12x", [0, 1, 2, 3, 4, 5]],
    ["%XX in upper-case hex", "a%2Fb", "a/b", [0, 1, 4, 5]],
    ["%XX in lower-case hex (.NET)", "%2b%3d", "+=", [0, 3, 6]],
    ["a UTF-8 character's run of %XX as one", "%C3%A9!", "é!", [0, 6, 7]],
    ["a run of %XX that is no UTF-8 as it is", "%C3x", "%c3x", [0, 1, 2, 3, 4]],
    ["a % without two hex digits as it is", "50%-off", "50%-off", [0, 1, 2, 3, 4, 5, 6, 7]],
    ["HTML's named references", "&lt;&amp;&sol;&QUOT;", '<&/"', [0, 4, 9, 14, 20]],
    ["HTML's decimal and hex references", "&#47;&#x2F;&#X2b;", "//+", [0, 5, 11, 17]],
    ["HTML's reference of a character beyond U+FFFF", "&#x1F600;", "😀", [0, 0, 9]],
    ["an unknown HTML name as it is", "&bogus;", "&bogus;", [0, 1, 2, 3, 4, 5, 6, 7]],
    ["a & without a reference as it is", "a & b", "a & b", [0, 1, 2, 3, 4, 5]],
    ["any mix of the three", String.raw`\/%2F&#x2F;`, "///", [0, 2, 5, 11]],
    ["without a JSON escape cut short at the end", String.raw`a\u00`, "a", [0, 1]],
    ["without a backslash at the end", "a\\", "a", [0, 1]],
    ["an escaped backslash at the end", String.raw`a\\`, "a\\", [0, 1, 3]],
    ["without a %XX cut short at the end", "a%2", "a", [0, 1]],
    ["without a UTF-8 run cut short at the end", "a%C3%A", "a", [0, 1]],
    ["without an HTML reference cut short at the end", "a&#x2", "a", [0, 1]],
    ["an empty text", "", "", [0]],
  ])("reads %s", (_what, answer, text, starts) => {
    expect(decodedView(answer)).toEqual({ text, starts });
  });
});
