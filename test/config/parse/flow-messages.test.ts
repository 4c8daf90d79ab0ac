/**
 * YAML's syntax errors inside `[ ]` and `{ }`, and just after them, said as what to write,
 * function by function. parse.test.ts checks the same words end to end.
 */
import type { ErrorCode } from "yaml";
import { describe, expect, it } from "vitest";
import {
  blockInFlow,
  bracketInValue,
  leftOverText,
} from "../../../src/config/parse/flow-messages.js";
import type { YamlHint } from "../../../src/config/parse/yaml-messages.js";

describe("leftOverText", () => {
  const LEFT_OVER: YamlHint = {
    offset: 7,
    message:
      'YAML: a quoted value ends at its closing quote, so the text after it is left over: put the whole value inside one pair of quotes (a " inside "…" is written \\", a \' inside \'…\' is doubled)',
  };
  const LIST_COMMA = "YAML: a comma is missing before this item of the list: write [a, b]";
  const MAP_COMMA = "YAML: a comma is missing before this key: write {key: value, other: value}";
  const after = (what: string, closing: string) =>
    `YAML: ${what} ends at its ${closing}, so the text after it is left over: put it inside the brackets after a comma, or remove it`;
  const error = (code: ErrorCode, message: string, at = 7) => ({
    code,
    message,
    pos: [at, at + 1] as [number, number],
  });
  const atNodeEnd = (at: number) => error("UNEXPECTED_TOKEN", "Unexpected scalar at node end", at);
  it.each<[string, ReturnType<typeof error>, string, YamlHint | undefined]>([
    ["text after single quotes", atNodeEnd(7), "a: 'b' c\n", LEFT_OVER],
    [
      "a quoted value after double quotes",
      error("UNEXPECTED_TOKEN", "Unexpected double-quoted-scalar at node end"),
      'a: "b" "c"\n',
      LEFT_OVER,
    ],
    ["text after a plain value", atNodeEnd(7), "a: b c d\n", undefined],
    ["a line after a quoted value", atNodeEnd(7), "a: 'b'\nc\n", undefined],
    [
      "another error there",
      error("BAD_INDENT", "Unexpected scalar at node end"),
      "a: 'b' c\n",
      undefined,
    ],
    [
      "another unexpected token",
      error("UNEXPECTED_TOKEN", "Unexpected flow-map-end token"),
      "a: 'b' }\n",
      undefined,
    ],
    [
      "a key after a quoted value inside { }",
      error("UNEXPECTED_TOKEN", "Unexpected scalar token", 11),
      'a: {b: "x" c: 1}\n',
      { offset: 11, message: MAP_COMMA },
    ],
    [
      "a key after a quoted brace inside { }",
      error("UNEXPECTED_TOKEN", "Unexpected scalar token", 11),
      'a: {b: "}" c: 1}\n',
      { offset: 11, message: MAP_COMMA },
    ],
    [
      "a key after a { } inside { }",
      atNodeEnd(17),
      "a: {b: {value: x} c: name}\n",
      { offset: 17, message: MAP_COMMA },
    ],
    [
      "a key after a [ ] inside { }",
      atNodeEnd(11),
      "a: {b: [1] c: 2}\n",
      { offset: 11, message: MAP_COMMA },
    ],
    [
      "an item after a { } inside [ ]",
      atNodeEnd(11),
      "a: [{b: 1} c]\n",
      { offset: 11, message: LIST_COMMA },
    ],
    [
      "an item after a [ ] inside [ ]",
      atNodeEnd(8),
      "a: [[1] 2]\n",
      { offset: 8, message: LIST_COMMA },
    ],
    [
      "a bracket in a comment, not counted",
      atNodeEnd(14),
      "# {\na: {b: 1} c\n",
      { offset: 14, message: after("a { } mapping", "}") },
    ],
    [
      "text after a { }",
      atNodeEnd(10),
      "a: {b: 1} c\n",
      { offset: 10, message: after("a { } mapping", "}") },
    ],
    [
      "text after a [ ]",
      atNodeEnd(7),
      "a: [1] x\n",
      { offset: 7, message: after("a [ ] list", "]") },
    ],
    [
      "text after a } written inside a value",
      atNodeEnd(12),
      "a: {b: S3cr}t-x }\n",
      {
        offset: 12,
        message:
          "YAML: a { } mapping ends at its }, so the text after it is left over: put a value that holds } in quotes",
      },
    ],
    [
      "text after a ] written inside a value",
      atNodeEnd(8),
      "a: [x]y]\n",
      {
        offset: 8,
        message:
          "YAML: a [ ] list ends at its ], so the text after it is left over: put a value that holds ] in quotes",
      },
    ],
    [
      "text right after a quoted value's }",
      atNodeEnd(11),
      'a: {b: "c"}d\n',
      { offset: 11, message: after("a { } mapping", "}") },
    ],
    [
      "a mapping after a quoted value",
      error("UNEXPECTED_TOKEN", "Unexpected flow-map-start at node end", 6),
      'a: "b"{c}\n',
      { offset: 6, message: LEFT_OVER.message },
    ],
    [
      "a list after a mapping inside [ ]",
      error("UNEXPECTED_TOKEN", "Unexpected flow-seq-start at node end", 11),
      "a: [{b: 1} [c]]\n",
      { offset: 11, message: LIST_COMMA },
    ],
    ["text after a plain value inside { }", atNodeEnd(9), "a: {b: c d}\n", undefined],
  ])("says of %s what to write", (_what, slip, text, hint) => {
    expect(leftOverText(slip, text)).toEqual(hint);
  });
});

describe("bracketInValue", () => {
  const opens = (bracket: string, what: string, offset: number): YamlHint => ({
    offset,
    message: `YAML: inside { } or [ ], a ${bracket} within a value opens a ${what}: put a value that holds ${bracket} in quotes`,
  });
  const atNodeEnd = (type: "map" | "seq", at: number) => ({
    code: "UNEXPECTED_TOKEN" as const,
    message: `Unexpected flow-${type}-start at node end`,
    pos: [at, at + 1] as [number, number],
  });
  const missing = (at: number) => ({
    code: "MISSING_CHAR" as const,
    message: "Missing , or : between flow sequence items",
    pos: [at, at + 1] as [number, number],
  });
  it.each<
    [
      string,
      ReturnType<typeof atNodeEnd> | ReturnType<typeof missing>,
      string,
      YamlHint | undefined,
    ]
  >([
    [
      "a { in a value inside { }",
      atNodeEnd("map", 11),
      "a: {p: S3cr{t }\n",
      opens("{", "mapping", 11),
    ],
    ["a [ in a value inside { }", atNodeEnd("seq", 11), "a: {p: S3cr[t}\n", opens("[", "list", 11)],
    ["a [ in a value inside [ ]", missing(8), "a: [S3cr[t, b]\n", opens("[", "list", 8)],
    ["a { after a space: a comma left out", missing(6), "a: [x {b: 1}]\n", undefined],
    ["a { after a quoted value", atNodeEnd("map", 6), 'a: "b"{c}\n', undefined],
    ["a { after a comma", atNodeEnd("map", 6), "a: [b,{c}]\n", undefined],
    [
      "another error at a {",
      { ...missing(8), message: "Missing closing }" },
      "a: [S3cr{t, b]\n",
      undefined,
    ],
    ["a { outside brackets", atNodeEnd("map", 4), "a: b{c\n", undefined],
    ["no bracket where the parser points", missing(7), "a: [S3cr t]\n", undefined],
  ])("says of %s what to write", (_what, slip, text, hint) => {
    expect(bracketInValue(slip, text)).toEqual(hint);
  });
});

describe("blockInFlow", () => {
  const COMMA =
    'YAML: this value holds ": " inside { } or [ ]: put a comma before the next key (write {a: 1, b: 2}), or quote the value if the ": " belongs to it';
  const BLOCK =
    'YAML: a "- " list or an indented mapping cannot go inside { } or [ ]: write the items inside them separated by commas, or drop the brackets and indent the items instead';
  it.each<[string, string, number, string]>([
    ["a comma left out in a mapping", "retry: {maxAttempts: 3 initialDelay: 1s}\n", 21, COMMA],
    ["a comma left out in a list", "a: [x, y: z w: 1]\n", 10, COMMA],
    ["a comma left out on a later line", "h: {a: 1,\n  b: 2 c: 3}\n", 15, COMMA],
    ['a "- " list inside brackets', "a: [\n  - x\n]\n", 7, BLOCK],
    ["an indented mapping inside braces", "a: {\n  b:\n    c: 1\n}\n", 14, BLOCK],
    ['text without ": " on a last line with no line end', "a: [x, y z]", 10, BLOCK],
  ])("says of %s what to write", (_what, text, offset, message) => {
    expect(blockInFlow(offset, text)).toEqual({ offset, message });
  });
});
