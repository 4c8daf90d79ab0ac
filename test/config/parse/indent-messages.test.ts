/**
 * Which of a document's syntax errors is reported: the first, or a bracket left open that the
 * parser reports after a key it read across lines because of it.
 */
import type { ErrorCode } from "yaml";
import { describe, expect, it } from "vitest";
import { badIndentHint, firstSlip } from "../../../src/config/parse/indent-messages.js";

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
  const noMapping = (indent: string, above: string) =>
    `YAML: this key is indented ${indent}, which lines it up with no mapping above it${above}: indent it exactly as much as the other keys of its mapping`;
  it.each<[string, string, string, string]>([
    ["after the items of a list", "w:\n  a:\n    - x\n    b: 1\n", "b: 1", inList("2 spaces")],
    ["after a bare dash", "w:\n  a:\n    -\n    b: 1\n", "b: 1", inList("2 spaces")],
    ["after an item's own keys", "w:\n - a: x\n   b: y\n c: 1\n", "c: 1", inList("0 spaces")],
    ["under a key one space in", "w:\n a:\n  - x\n  b: 1\n", "b: 1", inList("1 space")],
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
