/**
 * Which of a document's syntax errors is reported: the first, or a bracket left open that the
 * parser reports after a key it read across lines because of it.
 */
import type { ErrorCode } from "yaml";
import { describe, expect, it } from "vitest";
import { firstSlip } from "../../../src/config/parse/indent-messages.js";

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
