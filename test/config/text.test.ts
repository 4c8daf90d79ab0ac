import { describe, expect, it } from "vitest";
import {
  closest,
  compareText,
  describeType,
  displayPath,
  listOr,
  plural,
  pointerSegments,
  positionAt,
  quote,
  startOf,
  typeWords,
  wholeNumber,
  type PathSegment,
} from "../../src/config/text.js";

describe("wholeNumber", () => {
  it.each([
    ["0", 0],
    ["7", 7],
    ["256", 256],
    ["007", 7],
    ["9007199254740991", 9007199254740991],
  ])("reads %j as %i", (text, n) => {
    expect(wholeNumber(text)).toBe(n);
  });

  it.each([
    "",
    " 7",
    "7 ",
    "0x10",
    "1e3",
    "0b11",
    "0o7",
    "1.5",
    "-1",
    "+1",
    "1_000",
    "9007199254740993",
    "Infinity",
    "NaN",
  ])("refuses %j", (text) => {
    expect(wholeNumber(text)).toBeUndefined();
  });
});

describe("displayPath", () => {
  it.each<[PathSegment[], string]>([
    [[], ""],
    [["webhook", "headers", "X-Source"], "webhook.headers.X-Source"],
    [["trigger", "events", 1], "trigger.events[1]"],
    [["webhook", "headers", "a b"], 'webhook.headers["a b"]'],
    [["a.b"], '["a.b"]'],
    [[0, "name"], "[0].name"],
    [["webhook", "fields", "ext\u200b"], 'webhook.fields["ext\\u200b"]'],
    [["webhook", "headers", "X-$Id"], "webhook.headers.X-$Id"],
  ])("writes %j as %j", (path, text) => {
    expect(displayPath(path)).toBe(text);
  });
});

describe("pointerSegments", () => {
  it.each<[string, PathSegment[]]>([
    ["", []],
    ["/webhook/headers/X-Source", ["webhook", "headers", "X-Source"]],
    ["/trigger/events/10", ["trigger", "events", 10]],
    ["/headers/007", ["headers", "007"]],
    ["/trigger/events/100", ["trigger", "events", 100]],
    ["/a~1b/c~0d", ["a/b", "c~d"]],
    ["/a~01", ["a~1"]],
  ])("splits %j into %j", (pointer, segments) => {
    expect(pointerSegments(pointer)).toEqual(segments);
  });
});

describe("words for messages", () => {
  it.each<[unknown[], string]>([
    [[], ""],
    [["a"], "a"],
    [["a", "b"], "a or b"],
    [["a", "b", "c"], "a, b or c"],
  ])("lists %j as %j", (items, text) => {
    expect(listOr(items)).toBe(text);
  });

  it.each<[string | string[], string]>([
    ["integer", "a whole number"],
    [["string", "null"], "a string or null"],
    ["custom", "custom"],
    [["number", "boolean", "object", "array"], "a number, true/false, a mapping or a list"],
  ])("names the types %j as %j", (type, words) => {
    expect(typeWords(type)).toBe(words);
  });

  it.each<[unknown, string]>([
    [null, "null"],
    [[1], "a list"],
    [{ a: 1 }, "a mapping"],
    ["s3cret", "a string"],
    [true, "true/false"],
    [3, "a whole number"],
    [1.5, "a number"],
    [Infinity, ".inf"],
    [-Infinity, "-.inf"],
    [NaN, ".nan"],
  ])("names the type of %j, never the value, as %j", (value, type) => {
    expect(describeType(value)).toBe(type);
  });

  it.each<[unknown, string]>([
    ["POST", '"POST"'],
    [42, "a whole number"],
    ["x".repeat(58), `"${"x".repeat(58)}"`],
    ["x".repeat(59), `"${"x".repeat(56)}…"`],
    [
      "POST\u00a0",
      '"POST\\u00a0": it holds a no-break space (U+00A0), which looks like a plain space but is not: remove it',
    ],
  ])("quotes %j as %j", (value, text) => {
    expect(quote(value)).toBe(text);
  });

  it.each([
    [0, "0 files"],
    [1, "1 file"],
    [2, "2 files"],
  ])("counts %i as %j", (count, text) => {
    expect(plural(count, "file")).toBe(text);
  });
});

describe("closest", () => {
  const keys = ["description", "enabled", "scope", "trigger", "webhook"];
  it.each<[string, string | undefined]>([
    ["desc", "description"],
    ["Desc", "description"],
    ["Enabld", "enabled"],
    ["scoep", "scope"],
    ["trigr", "trigger"],
    ["tri", "trigger"], // three letters that begin one key alone
    ["webhok", "webhook"],
    ["tigr", undefined],
    ["hook", undefined],
    ["en", undefined],
    ["colour", undefined],
  ])("suggests for %j: %j", (word, suggestion) => {
    expect(closest(word, keys)).toBe(suggestion);
  });

  it("counts every edit, those at the start too: a key that a word ends is no nearer", () => {
    expect(closest("ope", ["scope", "opt"])).toBe("opt");
  });

  it("takes a short word only at most two edits away, not as an abbreviation", () => {
    expect(closest("de", ["description", "id"])).toBe("id");
  });
});

describe("compareText", () => {
  it.each([
    ["a", "b", -1],
    ["b", "a", 1],
    ["a", "a", 0],
    ["Z", "a", -1], // byte order, not a locale's
  ])("compares %j with %j: %i", (a, b, order) => {
    expect(compareText(a, b)).toBe(order);
  });
});

describe("startOf", () => {
  it.each<[string, number, string]>([
    ["abc", 3, "abc"],
    ["abcd", 3, "abc…"],
    ["a😀b", 2, "a\ufffd…"],
  ])("keeps of %j, at most %i characters: %j", (text, max, start) => {
    expect(startOf(text, max)).toBe(start);
  });
});

describe("positionAt", () => {
  it.each<[string, string, number, { line: number; column: number }]>([
    ["the start", "a: 1\n", 0, { line: 1, column: 1 }],
    ["within the first line", "a: 1\n", 3, { line: 1, column: 4 }],
    ["the line feed itself", "a: 1\n", 4, { line: 1, column: 5 }],
    ["the start of a later line", "a: 1\nb: 2\n", 5, { line: 2, column: 1 }],
    ["after an empty line", "a\n\nb", 3, { line: 3, column: 1 }],
    ["after an emoji, two units", "😀x", 2, { line: 1, column: 3 }],
    ["the end of the text", "a\nb", 3, { line: 2, column: 2 }],
  ])("gives %s", (_what, text, offset, position) => {
    expect(positionAt(text, offset)).toEqual(position);
  });
});
