/**
 * How deep a document nests, read off the parser's syntax tree: the first collection past
 * the limit is where the file is refused, before the composer recurses into it.
 */
import { Parser } from "yaml";
import { describe, expect, it } from "vitest";
import {
  flowNestingBeyondLimit,
  indicatorRunBeyondLimit,
  MAX_NESTING,
  offsetBeyondNesting,
} from "../../../src/config/parse/nesting.js";

function firstDocument(text: string) {
  const [document] = new Parser().parse(text);
  if (!document) throw new Error("no document");
  return document;
}

const dashes = (levels: number) => `${"- ".repeat(levels)}x\n`;

describe("offsetBeyondNesting", () => {
  it.each<[string, string, number | undefined]>([
    ["a plain integration-like mapping", "a:\n  b:\n    - {c: [d]}\n", undefined],
    ["lists nested to the limit", dashes(MAX_NESTING), undefined],
    ["lists nested one past it, at the first list past it", dashes(MAX_NESTING + 1), 128],
    ["flow lists one past it", `${"[".repeat(MAX_NESTING + 1)}${"]".repeat(MAX_NESTING + 1)}`, 64],
    [
      "mappings by indentation one past it, at its first key",
      Array.from({ length: MAX_NESTING + 1 }, (_, i) => `${" ".repeat(i)}k:`).join("\n") + " x\n",
      // The first 64 lines (0..63 spaces and "k:", a line feed each), then its 64 spaces.
      Array.from({ length: MAX_NESTING }, (_, i) => i + 3).reduce((a, b) => a + b, 0) + MAX_NESTING,
    ],
    ["collections used as keys", `${"? ".repeat(MAX_NESTING + 1)}x\n`, 128],
    ["a document of comments only", "# nothing\n", undefined],
  ])("finds %s", (_what, text, offset) => {
    expect(offsetBeyondNesting(firstDocument(text))).toBe(offset);
  });

  it("walks a document nested half a million levels deep without running out of stack", () => {
    const text = dashes(500_000);
    expect(offsetBeyondNesting(firstDocument(text))).toBe(2 * MAX_NESTING);
  });
});

describe("indicatorRunBeyondLimit", () => {
  it.each<[string, string, number | undefined]>([
    ["a run to the limit", dashes(MAX_NESTING), undefined],
    ["a run one past it, at its last indicator", dashes(MAX_NESTING + 1), 128],
    ["explicit keys", `${"? ".repeat(MAX_NESTING + 1)}x\n`, 128],
    ["a run with tabs, after an indentation", `  ${"-\t".repeat(MAX_NESTING + 1)}x\n`, 130],
    ["a run on a later line", `a:\n${dashes(MAX_NESTING + 1)}`, 131],
    ["runs that start again on each line", dashes(40).repeat(3), undefined],
    ["dashes inside a value", `a: ${"- ".repeat(100)}x\n`, undefined],
    ["dashes that are no indicators", `${"-".repeat(100)}\n${"-x ".repeat(100)}\n`, undefined],
    ["indicators at the end of the text", "- ".repeat(MAX_NESTING) + "-", MAX_NESTING * 2],
  ])("finds %s", (_what, text, offset) => {
    expect(indicatorRunBeyondLimit(text)).toBe(offset);
  });
});

describe("flowNestingBeyondLimit", () => {
  const open = (n: number) => "[".repeat(n);
  it.each<[string, string, number | undefined]>([
    ["brackets to the limit", `a: ${open(MAX_NESTING)}`, undefined],
    ["one past it, at that bracket", `a: ${open(MAX_NESTING + 1)}`, 3 + MAX_NESTING],
    // Two a repeat: the 65th, the 33rd repeat's {, is past it.
    ["braces and brackets together", `a: ${"{b: [".repeat(40)}`, 3 + 5 * 32],
    ["brackets inside quotes", `a: "${open(100)}"`, undefined],
    ["brackets in a comment", `a: 1 # ${open(100)}`, undefined],
    ["brackets closed as they go", `a: ${"[]".repeat(100)}`, undefined],
    ["a new top-level key starting afresh", `a: ${open(40)}\nb: ${open(40)}`, undefined],
  ])("finds %s", (_what, text, offset) => {
    expect(flowNestingBeyondLimit(text)).toBe(offset);
  });
});
