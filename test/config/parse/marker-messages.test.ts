/** YAML's markers where something else was meant: which syntax errors get words of their own. */
import type { ErrorCode } from "yaml";
import { describe, expect, it } from "vitest";
import { markerHint } from "../../../src/config/parse/marker-messages.js";

type Slip = { code: ErrorCode; message: string; pos: [number, number] };

const scalar = (text: string, before: string): Slip => {
  const offset = text.indexOf(before) + before.length;
  return {
    code: "UNEXPECTED_TOKEN",
    message: "Unexpected scalar at node end",
    pos: [offset, offset + 1],
  };
};
const noDocumentStart = (offset: number): Slip => ({
  code: "MISSING_CHAR",
  message: "Missing directives-end/doc-start indicator line",
  pos: [offset, offset + 1],
});

describe("markerHint", () => {
  it.each<[string, string, Slip, number | undefined, string | undefined]>([
    [
      "a * at the start of a key",
      "t:\n  *serviceType: pbx\n",
      scalar("t:\n  *serviceType: pbx\n", "*serviceType: "),
      5,
      "a key cannot start with *",
    ],
    ["a * key in a list", "- *a: b\n", scalar("- *a: b\n", "*a: "), 2, "a key cannot start with *"],
    [
      "words after an alias as a value",
      "a: *b c\n",
      scalar("a: *b c\n", "*b "),
      3,
      "a value cannot start with * unless it is quoted",
    ],
    ["words after a value", "a: b c d\n", scalar("a: b c d\n", "b c "), undefined, undefined],
    ["an alias key with its space", "*b : c x\n", scalar("*b : c x\n", "c "), undefined, undefined],
    [
      "a % line before the document",
      "# x\n%YAML 1.2\na: b\n",
      noDocumentStart(14),
      4,
      "a line that starts with % is a directive",
    ],
    ["no % line at all", "a: b\n", noDocumentStart(0), undefined, undefined],
    ["text after ...", "a: b\n... x\n", scalar("a: b\n... x\n", "... "), 9, 'starting with "..."'],
    [
      "text after .. (no marker)",
      "a: b\n.. x\n",
      scalar("a: b\n.. x\n", ".. "),
      undefined,
      undefined,
    ],
    ["text after a value", "a: b\nc x\n", scalar("a: b\nc x\n", "c "), undefined, undefined],
  ])("%s", (_, text, error, offset, message) => {
    const hint = markerHint(error, text);
    expect(hint?.offset).toBe(offset);
    if (message === undefined) expect(hint).toBeUndefined();
    else expect(hint?.message).toContain(message);
  });
});
