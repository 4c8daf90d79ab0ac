/**
 * Which of a document's syntax errors is reported: the first, or a bracket left open that the
 * parser reports after a key it read across lines because of it.
 */
import type { ErrorCode } from "yaml";
import { describe, expect, it } from "vitest";
import {
  afterDocumentEnd,
  badIndentHint,
  firstSlip,
} from "../../../src/config/parse/indent-messages.js";

const ACROSS_LINES = {
  code: "MULTILINE_IMPLICIT_KEY" as ErrorCode,
  message: "Implicit keys of flow sequence pairs need to be on a single line",
};
const LEFT_OPEN = {
  code: "BAD_INDENT" as ErrorCode,
  message: "Flow sequence in block collection must be sufficiently indented and end with a ]",
};
const OUT_OF_LINE = {
  code: "BAD_INDENT" as ErrorCode,
  message: "All mapping items must start at the same column",
};

type Slip = typeof ACROSS_LINES & { pos: [number, number] };
const at = (slip: typeof ACROSS_LINES, offset: number): Slip => ({
  ...slip,
  pos: [offset, offset + 1],
});

describe("firstSlip", () => {
  const text = "name: [unclosed\n  foo: bar\n";
  it.each<[string, string, Slip[], number]>([
    [
      "the bracket left open before a key read across lines",
      text,
      [at(ACROSS_LINES, 7), at(LEFT_OPEN, 27)],
      1,
    ],
    [
      "the bracket when the key starts at it",
      "name: [a\n  foo: bar\n",
      [at(ACROSS_LINES, 6), at(LEFT_OPEN, 20)],
      1,
    ],
    [
      "the key when the bracket left open comes after it",
      "a b\n  c: d\nn: [x\ny: 1\n",
      [at(ACROSS_LINES, 0), at(LEFT_OPEN, 18)],
      0,
    ],
    [
      "the key when no bracket is left open in the text",
      "name: unclosed\n  foo: bar\n",
      [at(ACROSS_LINES, 6), at(LEFT_OPEN, 26)],
      0,
    ],
    [
      "the key when the later error is another",
      text,
      [at(ACROSS_LINES, 7), at(OUT_OF_LINE, 16)],
      0,
    ],
    ["the first when it is no key", text, [at(OUT_OF_LINE, 16), at(LEFT_OPEN, 27)], 0],
  ])("reports %s", (_what, written, slips, index) => {
    expect(firstSlip(slips, written)).toBe(slips[index]);
  });

  it("reports nothing of a document without errors", () => {
    expect(firstSlip([], "a: 1\n")).toBeUndefined();
  });
});

describe("badIndentHint for a key out of line", () => {
  const inList = (spaces: string) =>
    `YAML: this key lines up with the "- " items of the list above it, and a list holds items, not keys: indent it as the key that holds the list (${spaces})`;
  const noDash =
    'YAML: this line lines up with the "- " items of the list above it, without their "- ": start it with "- " to make it an item of the list';
  const noMapping = (indent: string, above: string) =>
    `YAML: this key is indented ${indent}, which lines it up with no mapping above it${above}: indent it exactly as much as the other keys of its mapping`;
  it.each<[string, string, string, string]>([
    ["after the items of a list", "w:\n  a:\n    - x\n    b: 1\n", "b: 1", inList("2 spaces")],
    ["after a bare dash", "w:\n  a:\n    -\n    b: 1\n", "b: 1", inList("2 spaces")],
    ["after an item's own keys", "w:\n - a: x\n   b: y\n c: 1\n", "c: 1", inList("0 spaces")],
    ["under a key one space in", "w:\n a:\n  - x\n  b: 1\n", "b: 1", inList("1 space")],
    ["an item without its dash", "w:\n  - x\n  y\n", "y", noDash],
    ["a quoted item holding a colon", "w:\n  - x\n  'a''s: b'\n", "'a''s", noDash],
    ["an item with a colon in its comment", "w:\n  - x\n  y # z: 1\n", "y #", noDash],
    ["a key with a comment", "w:\n  - x\n  y: 1 # z\n", "y: 1", inList("0 spaces")],
    [
      "after a value that starts with a dash",
      "w:\n    -x\n    b: 1\n",
      "b: 1",
      noMapping("4 spaces", " (the line above is indented 4)"),
    ],
    [
      "after a deeper key",
      "w:\n    url: x\n  b: 1\n",
      "b: 1",
      noMapping("2 spaces", " (the line above is indented 4)"),
    ],
    [
      "after a list deeper in",
      "w:\n  a:\n      - x\n    b: 1\n",
      "b: 1",
      noMapping("4 spaces", " (the line above is indented 6)"),
    ],
    ["with nothing above", "  b: 1\n", "b: 1", noMapping("2 spaces", "")],
  ])("says of a key %s what to write", (_what, text, key, message) => {
    const offset = text.indexOf(key);
    expect(badIndentHint(offset, OUT_OF_LINE.message, text)).toEqual({ offset, message });
  });
});

describe("afterDocumentEnd", () => {
  const lessThan = (line: number, indent: number) =>
    `YAML: this line is indented less than the document's first line (line ${line}, indented ${indent}), so the document ended above it: start its top-level keys at one column (a comment that lost its # reads as a key)`;
  const afterList = (line: number) =>
    `YAML: the document is a list (line ${line} starts with "- "), and no key can follow it at its level: an integration is a mapping of keys, written without "- "`;
  const atNodeEnd = (at: number) => ({
    code: "UNEXPECTED_TOKEN" as ErrorCode,
    message: "Unexpected scalar at node end",
    pos: [at, at + 1] as [number, number],
  });
  it.each<[string, string, string, string | undefined]>([
    ["a comment that lost its #", "# a\n Note: x\nname: y\n", "name", lessThan(2, 1)],
    ["a first key indented", "  a: 1\n\n# c\nb: 2\n", "b: 2", lessThan(1, 2)],
    ["a key after a list", "- a\nb: c\n", "b: c", afterList(1)],
    ["a key after an indented list", "  - a\nb: c\n", "b: c", lessThan(1, 2)],
    ["a later document's first key", "a: 1\n---\n  b: 1\nc: 2\n", "c: 2", lessThan(3, 2)],
    ["after a directive", "%YAML 1.2\n---\n  b: 1\nc: 2\n", "c: 2", lessThan(3, 2)],
    ["a key at the first line's column", "a: 1\n  b\nc: 2\n", "c: 2", undefined],
    ["text after other text on its line", "- a\nb: c d\n", "d", undefined],
    ["the first line itself", "  a: 1\n", "a", undefined],
  ])("says of %s what to write", (_what, text, at, message) => {
    const offset = text.indexOf(at);
    const hint = afterDocumentEnd(atNodeEnd(offset), text);
    expect(hint).toEqual(message === undefined ? undefined : { offset, message });
  });

  it("leaves other errors to other words", () => {
    const text = "- a\nb: c\n";
    expect(afterDocumentEnd({ ...atNodeEnd(4), code: "BAD_INDENT" }, text)).toBeUndefined();
    const token = { ...atNodeEnd(4), message: "Unexpected flow-map-end token" };
    expect(afterDocumentEnd(token, text)).toBeUndefined();
  });
});
