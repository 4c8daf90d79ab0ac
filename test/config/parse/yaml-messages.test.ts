/**
 * YAML's syntax errors said as what to write, function by function: each takes the offset the
 * parser reported (or its error) and the file's text, and says where to point and what to say.
 * parse.test.ts checks the same words end to end, from the parser's own errors.
 */
import type { ErrorCode } from "yaml";
import { describe, expect, it } from "vitest";
import {
  misplacedMapping,
  quotingHint,
  slipMessage,
  unclosedQuote,
  unsupportedTag,
  type YamlHint,
} from "../../../src/config/parse/yaml-messages.js";

const NOT_SUPPORTED =
  "is not supported: an integration file holds plain mappings, lists, text, numbers and booleans; remove the tag (secrets are written ${file:...} or ${env:...})";

describe("unsupportedTag", () => {
  const UNNAMED =
    "this YAML tag (a value that starts with !) is not supported: an integration file holds plain mappings, lists, text, numbers and booleans; remove the tag, or put the value in quotes if the ! belongs to it";
  it.each<[string, string, string]>([
    ["YAML's own tag", "a: !!omap [x]\n", `YAML tag !!omap ${NOT_SUPPORTED}`],
    [
      "YAML's own tag written verbatim",
      "a: !<tag:yaml.org,2002:set> y\n",
      `YAML tag !<tag:yaml.org,2002:set> ${NOT_SUPPORTED}`,
    ],
    ["a core tag", "a: !!str [1]\n", "YAML tag !!str does not fit its value: remove the tag"],
    [
      "a core tag written verbatim",
      "a: !<tag:yaml.org,2002:int> x\n",
      "YAML tag !<tag:yaml.org,2002:int> does not fit its value: remove the tag",
    ],
    [
      "a name that only begins as a core tag's",
      "a: !!strx y\n",
      `YAML tag !!strx ${NOT_SUPPORTED}`,
    ],
    // Not named: a value that starts with ! may be a password.
    ["a tag of its own", "a: !custom x\n", UNNAMED],
    ["a password that starts with !", "password: !S3cret\n", UNNAMED],
    ["a verbatim tag", "a: !<tag:example.com,2026:x> y\n", UNNAMED],
    ["a tag in a list", "a: [!x, y]\n", UNNAMED],
    ["no tag where the parser points", "a: x\n", UNNAMED],
  ])("says %s", (_what, text, message) => {
    // The parser points at the tag; where there is none, at the value.
    const at = text.includes("!") ? text.indexOf("!") : 3;
    expect(unsupportedTag({ pos: [at, at + 1] }, text)).toBe(message);
  });
});

describe("unclosedQuote", () => {
  const never = (quote: string): YamlHint => ({
    offset: 3,
    message: `YAML: the ${quote} that opens this value is never closed, so the value runs on to the end of the file: add the closing ${quote}`,
  });
  it.each<[string, string, number, YamlHint | undefined]>([
    ["a double quote, from the end of the file", 'a: "abc\n', 8, never('"')],
    ["a single quote, from the quote itself", "a: 'abc\n", 3, never("'")],
    ["from the line after a list", 'a: [x]\nb: "abc\n', 15, { ...never('"'), offset: 10 }],
    ["from the line after a mapping", 'a: {x: 1}\nb: "abc\n', 18, { ...never('"'), offset: 13 }],
    ["nothing for a plain value", "a: abc\n", 4, undefined],
    ["nothing before the quoted value", 'a: "abc\n', 2, undefined],
  ])("points %s at the quote that opens it", (_what, text, offset, hint) => {
    expect(unclosedQuote(offset, text)).toEqual(hint);
  });
});

describe("misplacedMapping", () => {
  const QUOTE = 'YAML: a value holding ": " must be quoted, or it reads as a nested mapping';
  const DEEPER =
    "YAML: this line is indented deeper than the key above it, which has its value already: indent it as that key (a nested mapping starts on the line after a key with nothing after its colon)";
  it.each<[string, string, YamlHint]>([
    ['a ": " in the value', "a: b: c\n", { offset: 3, message: QUOTE }],
    ["a value ending in a colon", "a: b:\n  c\n", { offset: 3, message: QUOTE }],
    ["a value on the last line, without a line end", "a: b", { offset: 3, message: QUOTE }],
    ["a key on the next line, indented deeper", "a: b\n  c: d\n", { offset: 7, message: DEEPER }],
    ["past its spaces and tabs", "a: b\n \t c: d\n", { offset: 8, message: DEEPER }],
    ["a colon inside a word, which is text", "a: b:c\n  d: e\n", { offset: 9, message: DEEPER }],
  ])("points %s where the slip is", (_what, text, hint) => {
    expect(misplacedMapping(3, text)).toEqual(hint);
  });
});

describe("quotingHint", () => {
  const inBrackets = (what: string, write: string) =>
    `YAML: inside { } or [ ], a value holding ${what} must be quoted: write ${write}`;
  it.each<[string, string, number, YamlHint | undefined]>([
    [
      "a quote inside single quotes",
      "a: 'it's here'\n",
      7,
      {
        offset: 6,
        message:
          "YAML: a ' inside a '…' value ends it: double it ('it''s here'), or put the value in double quotes",
      },
    ],
    ["two quoted values run together", 'a: "b""c"\n', 6, undefined],
    ["a quoted value at the very end of the file", "a: 'x'", 6, undefined],
    [
      "a placeholder in a list item",
      "a: [ext-{x}]\n",
      5,
      { offset: 4, message: inBrackets('a "{"', '"ext-{x}"') },
    ],
    [
      "a list item of a placeholder, at the start of the file",
      "- {serviceUuid}, x\n",
      2,
      {
        offset: 2,
        message:
          'YAML: a value that starts with "{" must be quoted, or it reads as a mapping: write "{serviceUuid}"',
      },
    ],
    [
      "a list at the start of its line",
      "[ext-{extensionNumber}]\n",
      1,
      { offset: 1, message: inBrackets('a "{"', '"ext-{extensionNumber}"') },
    ],
    [
      "a reference in a mapping",
      "a: {b: ${env:X}}\n",
      7,
      { offset: 7, message: inBrackets("a ${…} reference", '"${env:X}"') },
    ],
    [
      "a placeholder after a bare one",
      "p: [{serviceUuid}, ext-{extensionNumber}]\n",
      20,
      {
        offset: 19,
        message: `${inBrackets('a "{"', '"ext-{extensionNumber}"')}; quote "{serviceUuid}" too, or it is a mapping`,
      },
    ],
    [
      "a placeholder after two bare ones",
      "p: [{serviceUuid}, {account}, ext-{extensionNumber}]\n",
      31,
      {
        offset: 30,
        message: `${inBrackets('a "{"', '"ext-{extensionNumber}"')}; quote "{serviceUuid}", "{account}" too, or it is a mapping`,
      },
    ],
    [
      "a value too long to repeat",
      `a: [${"x".repeat(90)}{name}]\n`,
      5,
      { offset: 4, message: inBrackets('a "{"', '"{name}"') },
    ],
    [
      "a value that may be a secret",
      "a: [p@ss{name}]\n",
      5,
      { offset: 4, message: inBrackets('a "{"', '"{name}"') },
    ],
    [
      "a value before a comment",
      "a: [x-{name} # c, d\n",
      5,
      { offset: 4, message: inBrackets('a "{"', '"x-{name}"') },
    ],
    [
      "a value whose letter before the error is its first",
      "a: [xx{name}]\n",
      6,
      { offset: 4, message: inBrackets('a "{"', '"xx{name}"') },
    ],
    [
      "a value inside a mapping's braces",
      "a: {ext-{name}}\n",
      5,
      { offset: 4, message: inBrackets('a "{"', '"ext-{name}"') },
    ],
    [
      "a placeholder before a bare one, which it does not name",
      "p: [ext-{extensionNumber}, {serviceUuid}, x]\n",
      5,
      { offset: 4, message: inBrackets('a "{"', '"ext-{extensionNumber}"') },
    ],
    ["a flow mapping written as one", 'a: [{template: "{name}"} x]\n', 4, undefined],
    ["a placeholder already quoted", 'a: ["{name}" x]\n', 4, undefined],
    ["braces without a placeholder", "a: [S3cr{t]\n", 5, undefined],
  ])("for %s", (_what, text, offset, hint) => {
    expect(quotingHint(offset, text)).toEqual(hint);
  });
});

describe("slipMessage", () => {
  it.each<[ErrorCode, string, string | undefined]>([
    [
      "MULTILINE_IMPLICIT_KEY",
      "Implicit keys need to be on a single line",
      'YAML: a key here has no ":" after it: write key: value, with a colon and a space',
    ],
    [
      "MISSING_CHAR",
      "Implicit map keys need to be followed by map values",
      'YAML: a key here has no ":" after it: write key: value, with a colon and a space',
    ],
    ["UNEXPECTED_TOKEN", "Implicit map keys need to be followed by map values", undefined],
    [
      "UNEXPECTED_TOKEN",
      "Unexpected block-seq-ind on same line with key",
      'YAML: a list cannot start on its key\'s line: put each "- item" on a line of its own below the key, indented, or write [a, b]',
    ],
    ["BAD_INDENT", "Unexpected block-seq-ind on same line with key", undefined],
    ["UNEXPECTED_TOKEN", "Unexpected scalar at node end", undefined],
    [
      "MISSING_CHAR",
      "Missing , or : between flow sequence items",
      "YAML: a comma is missing before this item of the list: write [a, b]",
    ],
    ["UNEXPECTED_TOKEN", "Missing , or : between flow sequence items", undefined],
    [
      "MISSING_CHAR",
      "Missing , or : between flow map items",
      "YAML: a comma or a colon is missing here: write {key: value, other: value}",
    ],
    ["BAD_INDENT", "Missing , or : between flow map items", undefined],
    [
      "MISSING_CHAR",
      "Missing , between flow map items",
      "YAML: a comma is missing before this key: write {key: value, other: value}",
    ],
    ["BAD_INDENT", "Missing , between flow map items", undefined],
    [
      "UNEXPECTED_TOKEN",
      "Unexpected , in flow map",
      "YAML: this comma has no item before it: remove it (write [a, b] or {a: 1, b: 2})",
    ],
    [
      "UNEXPECTED_TOKEN",
      "Unexpected , in flow sequence",
      "YAML: this comma has no item before it: remove it (write [a, b] or {a: 1, b: 2})",
    ],
    ["MISSING_CHAR", "Unexpected , in flow map", undefined],
    [
      "UNEXPECTED_TOKEN",
      'Unexpected flow-seq-end token in YAML stream: "]"',
      "YAML: this ] closes no list: remove it, or open the list with [",
    ],
    [
      "UNEXPECTED_TOKEN",
      "Unexpected flow-map-end token",
      "YAML: this } closes no mapping: remove it, or open the mapping with {",
    ],
    ["BAD_INDENT", "Unexpected flow-map-end token", undefined],
    [
      "BAD_DQ_ESCAPE",
      "Invalid escape sequence \\Users\\x",
      'YAML: this \\ starts no escape that "…" knows (such as \\n, \\t, \\" or \\\\): write \\\\ for a backslash, or put the value in single quotes, where \\ is plain text',
    ],
    [
      "UNEXPECTED_TOKEN",
      "Block scalar header includes extra characters: >-S3cret",
      "YAML: after | or > only - or + and an indentation digit may follow on its line: put the text on the lines below, indented, or quote the value",
    ],
    ["BAD_INDENT", "Block scalar header includes extra characters: >-S3cret", undefined],
    [
      "UNEXPECTED_TOKEN",
      "Not a YAML token: password: S3cret",
      "YAML: after | or > only - or + and an indentation digit may follow on its line: put the text on the lines below, indented, or quote the value",
    ],
    ["MISSING_CHAR", 'Missing closing "quote', undefined],
    // Said by blockInFlow, which reads the text around it.
    ["BLOCK_IN_FLOW", "Block collections are not allowed within flow collections", undefined],
    [
      "BAD_SCALAR_START",
      "Plain value cannot start with reserved character @",
      "YAML: a value cannot start with @ unless it is quoted: put the value in quotes",
    ],
    [
      "BAD_SCALAR_START",
      "Plain value cannot start with directive indicator character %",
      "YAML: a value cannot start with % unless it is quoted: put the value in quotes",
    ],
    [
      "MISSING_CHAR",
      "Sequence item without - indicator",
      'YAML: this line is in a list but has no "- ": start it with "- ", lined up with the items above',
    ],
    [
      "BAD_ALIAS",
      "Alias cannot be an empty string",
      "YAML: a value cannot start with * unless it is quoted (*name repeats an anchor): put the value in quotes",
    ],
    [
      "BAD_ALIAS",
      "Anchor cannot be an empty string",
      "YAML: a value cannot start with & unless it is quoted (&name names an anchor): put the value in quotes",
    ],
    ["UNEXPECTED_TOKEN", "Alias cannot be an empty string", undefined],
    // Inside [ ] or { }, where | and > start no block scalar, and after a key, where a , does.
    [
      "BAD_SCALAR_START",
      "Plain value cannot start with block scalar indicator |",
      "YAML: a value cannot start with | unless it is quoted: put the value in quotes",
    ],
    [
      "BAD_SCALAR_START",
      "Plain value cannot start with flow indicator character ,",
      "YAML: a value cannot start with , unless it is quoted: put the value in quotes",
    ],
    [
      "MISSING_CHAR",
      "Comments must be separated from other tokens by white space characters",
      "YAML: a comment needs a space before its #: put one there, or, if the # belongs to the value, put it inside the value's quotes",
    ],
    ["BAD_SCALAR_START", "Plain value cannot start with a surprise", undefined],
    [
      "MISSING_CHAR",
      "Tags and anchors must be separated from the next token by white space",
      "YAML: a & or ! before a value starts an anchor or a tag, which a space must separate from the value: remove it, or put the value in quotes",
    ],
    [
      "BAD_ALIAS",
      "Anchor ending in : is ambiguous",
      'YAML: a key cannot start with & unless it is quoted (&name names an anchor, and the ":" after it reads as part of that name): remove the &, or put the key in quotes',
    ],
    ["UNEXPECTED_TOKEN", "Plain value cannot start with reserved character @", undefined],
  ])("says %s %j as %j", (code, message, said) => {
    expect(slipMessage({ code, message })).toBe(said);
  });
});
