import { describe, expect, it } from "vitest";
import { parseYamlDocuments } from "../../../src/config/parse/parse.js";
import type { PathSegment } from "../../../src/config/text.js";

const YAML = [
  "# comment",
  "apiVersion: hookswitch/v1",
  "trigger:",
  "  events: [user.created, user.deleted]",
  "webhook:",
  "  headers:",
  "    X-A: one",
  "  pathArguments:",
  "    - a",
  "    - b",
].join("\n");

describe("locate maps a path in the data to the file", () => {
  const [doc] = parseYamlDocuments(YAML).documents;

  it.each<[PathSegment[], boolean, string]>([
    [[], false, "2:1"],
    [["apiVersion"], false, "2:13"],
    [["apiVersion"], true, "2:1"],
    [["trigger", "events", 1], false, "4:26"],
    [["webhook", "headers", "X-A"], false, "7:10"],
    [["webhook", "headers", "X-A"], true, "7:5"],
    [["webhook", "pathArguments", 1], false, "10:7"],
    [["webhook", "missing"], false, "6:3"],
    [["webhook", "pathArguments", 9], false, "9:5"],
  ])("%j (on key: %s) is at %s", (path, onKey, expected) => {
    const at = doc?.locate(path, onKey);
    expect(`${at?.line}:${at?.column}`).toBe(expected);
  });
});

describe("writtenAt gives a scalar as written, whichever parser read the file", () => {
  const plain = "a:\n  ext: 0123\n  did: '+612'\n  list: [0x1F, 1.50]\n  map: {}\n";
  const positional = `${plain}  anchored: &n 007\n  alias: *n\n`;

  it.each<[string, PathSegment[], string | undefined]>([
    ["plain", ["a", "ext"], "0123"],
    ["plain", ["a", "did"], "'+612'"],
    ["plain", ["a", "list", 0], "0x1F"],
    ["plain", ["a", "list", 1], "1.50"],
    ["plain", ["a", "map"], undefined],
    ["plain", ["a", "missing"], undefined],
    ["plain", ["a", "ext", "deeper"], undefined],
    ["positional", ["a", "ext"], "0123"],
    ["positional", ["a", "anchored"], "007"],
    ["positional", ["a", "alias"], "007"],
  ])("in a %s file, %j is %j", (kind, path, expected) => {
    const [doc] = parseYamlDocuments(kind === "plain" ? plain : positional).documents;
    expect(doc?.writtenAt(path)).toBe(expected);
  });
});

describe("parseYamlDocuments", () => {
  it("gives one document per integration and skips empty ones", () => {
    const { documents } = parseYamlDocuments("a: 1\n---\n# nothing\n---\nb: 2\n---\n");
    expect(documents.map((d) => [d.start.line, d.data])).toEqual([
      [1, { a: 1 }],
      [5, { b: 2 }],
    ]);
  });

  it.each([
    ["a: 1\na: 2\n", "2:1", 'duplicate key "a"'],
    // Slips said as what to write, not in the parser's words.
    [
      "w:\n  method POST\n  x: 1\n",
      "2:3",
      'YAML: a key here has no ":" after it: write key: value',
    ],
    ["w:\n  x: 1\n  method POST\n", "3:3", 'YAML: a key here has no ":" after it'],
    [
      "t:\n  events: - user.created\n",
      "2:11",
      "YAML: a list cannot start on its key's line: put each",
    ],
    ["description: @team\n", "1:14", "YAML: a value cannot start with @ unless it is quoted"],
    ["description: `x`\n", "1:14", "YAML: a value cannot start with ` unless it is quoted"],
    // One key once read: the later would replace the earlier without a word.
    [
      "f:\n  1: name\n  '1': ext\n",
      "3:3",
      'duplicate key "1": each key may appear only once in a mapping (1 and "1" are the same key)',
    ],
    ['f: {true: a, "true": b}\n', "1:14", 'duplicate key "true"'],
    ['f:\n  "2.5": a\n  2.5: b\n', "3:3", 'duplicate key "2.5"'],
    ['f:\n  "": a\n  null: b\n', "3:3", "duplicate empty or null (~) key: a key must be text"],
    ["f:\n  ~: a\n  : b\n", "3:3", "duplicate empty or null (~) key: a key must be text"],
    ["a: {b: 1\n", "1:4", "YAML: the { that opens this mapping is never closed"],
    ["a: [1, 2\n", "1:4", "YAML: the [ that opens this list is never closed: end the list with ]"],
    // A closing bracket of the other kind: at it, not at the bracket it leaves open.
    [
      "a: [x}]\n",
      "1:6",
      "YAML: this } does not close the [ before it, as a [ ] list ends with ]: remove the }, or write ] for it",
    ],
    ["a: [x}\nb: c\n", "1:6", "YAML: this } does not close the [ before it"],
    [
      "a: {b: x]}\n",
      "1:9",
      "YAML: this ] does not close the { before it, as a { } mapping ends with }: remove the ], or write } for it",
    ],
    ["a: [b, {c: d]]\n", "1:13", "YAML: this ] does not close the { before it"],
    // A [ typed before a key: a comma missing on the next line, a } of a reference
    // lines below: the bracket is the slip.
    [
      "w:\n  [url: http://x # note\n  method: POST\n  auth:\n    password: ${env:P}\n  fields:\n    a: b\n",
      "2:3",
      "YAML: the [ that opens this list is never closed",
    ],
    ['a: ["b" c,\n  d]\n', "1:9", "YAML: a comma is missing before this item of the list"],
    // YAML's markers where something else was meant.
    ["t:\n  *serviceType: pbx\n", "2:3", "YAML: a key cannot start with * unless it is quoted"],
    ["*name: x\n", "1:1", 'the ":" after it reads as part of that name'],
    ["- *foo: bar\n", "1:3", "YAML: a key cannot start with * unless it is quoted"],
    [
      "t:\n  *user: { template: x }\n",
      "2:3",
      "YAML: a key cannot start with * unless it is quoted",
    ],
    [
      "description: *Opens a ticket\n",
      "1:14",
      "YAML: a value cannot start with * unless it is quoted (*name repeats an anchor): put the value in quotes",
    ],
    [
      "events:\n  - *all the events\n",
      "2:5",
      "YAML: a value cannot start with * unless it is quoted",
    ],
    ["a: [b, c]-\n", "1:10", "YAML: a [ ] list ends at its ], so the text after it is left over"],
    ["t:\n  events: &[a, b]\n", "2:12", "YAML: a & or ! before a value starts an anchor or a tag"],
    ["s:\n  &service: x\n", "2:11", "YAML: a key cannot start with & unless it is quoted"],
    ["%YAML 1.2\na: b\n", "1:1", "YAML: a line that starts with % is a directive"],
    ["# x\n% note\n# y\na: b\n", "2:1", "which needs a --- line after it"],
    ["a: b\n... x\n", "2:5", 'YAML: a line starting with "..." ends the document'],
    // A comment broken across lines: the text that lost its #, not the key below it.
    [
      "# Keeps the CRM in\nstep with the PBX.\n# Secret: CRM_TOKEN\napiVersion: v1\nname: x\n",
      "2:1",
      "YAML: this line is text on its own before the document's keys, so it is the whole document",
    ],
    ["# a\n  b c\n# d\napiVersion: v1\n", "2:3", "start it with # if it belongs to a comment"],
    ["name: ,x\n", "1:7", "YAML: a value cannot start with , unless it is quoted"],
    // A key that is a mapping or a list: said without its text, which holds values.
    [
      "auth:\n  ? password: S3cret\n",
      "2:5",
      "YAML: this key is a mapping or a list, and an integration's keys are text",
    ],
    ["a: {[b]: c}\n", "1:5", "YAML: this key is in { } or [ ], which makes it a mapping or a list"],
    ["h:\n  {name}: b\n", "2:3", "YAML: this key is in { } or [ ], which makes it a mapping"],
    ["h:\n  x: 1\n  {name}: b\n", "3:3", "YAML: this key is in { } or [ ], which makes it"],
    ["h:\n  x: 1\n  {a: 1}: name\n", "3:3", "YAML: this key is in { } or [ ], which makes it"],
    ["h:\n  x: 1\n  [a] : name\n", "3:3", "YAML: this key is in { } or [ ], which makes it"],
    // The first of several: the one the reader meets first.
    [
      "name: a\nx: 1\n? [a]\n: 1\n? [b]\n: 2\n",
      "3:3",
      "YAML: this key is in { } or [ ], which makes it",
    ],
    ["t:\n  events: [|user.created]\n", "2:12", "YAML: a value cannot start with | unless"],
    ['a: "b"#c\n', "1:7", "YAML: a comment needs a space before its #"],
    ["a:\n  > password: S3cret\n", "2:5", "YAML: after | or > only - or + and an indentation"],
    ['a: "b" &x\n', "1:8", "YAML: a quoted value ends at its closing quote, so the text after"],
    ["a: [b] *c\n", "1:8", "YAML: a [ ] list ends at its ], so the text after it is left over"],
    // A bracket after a value and a space inside { }: a comma left out, or an opener for a closer.
    ["a: {b: c {d: e}}\n", "1:10", "YAML: a comma is missing before this key"],
    ["a: {b: c [d]}\n", "1:10", "YAML: a comma is missing before this key"],
    [
      "kind: { value: pbx-user {\nb: c\n",
      "1:25",
      "YAML: this { at the end of its line opens a new mapping inside the mapping before it: to close that mapping, write } instead",
    ],
    ["a: {b: c [  # note\n", "1:10", "opens a new list inside the mapping before it"],
    // A key out of line with its mapping's: at the key, with both indentations.
    [
      "w:\n    url: x\n  method: POST\n",
      "3:3",
      "YAML: this key is indented 2 spaces, which lines it up with no mapping above it (the line above is indented 4): indent it exactly as much as the other keys of its mapping",
    ],
    [
      "w:\n  url: x\n # note\n\n method: POST\n",
      "5:2",
      "indented 1 space, which lines it up with no mapping above it (the line above is indented 2)",
    ],
    [
      'w:\n  pathArguments:\n    - "{serviceUuid}"\n    "ext-{extensionNumber}"\n',
      "4:5",
      'YAML: this line lines up with the "- " items of the list above it, without their "- "',
    ],
    [
      'w:\n  pathArguments:\n    - "{serviceUuid}"\n     "ext-{extensionNumber}"\n',
      "4:1",
      'YAML: this line is in a list but has no "- ": start it with "- ", lined up with the items above',
    ],
    // A document that ended before the line: a first line indented deeper, or a list.
    [
      "# Callback for the CRM\n Secret from the environment: CRM_TOKEN.\napiVersion: hookswitch/v1\n",
      "3:1",
      "YAML: this line is indented less than the document's first line (line 2, indented 1), so the document ended above it: start its top-level keys at one column (a comment that lost its # reads as a key)",
    ],
    [
      "- name: a\napiVersion: hookswitch/v1\n",
      "2:1",
      'YAML: the document is a list (line 1 starts with "- ")',
    ],
    // A key lined up with the "- " items above it, as if the list went on.
    [
      "webhook:\n  pathArguments:\n    - a\n    method: POST\n",
      "4:5",
      'YAML: this key lines up with the "- " items of the list above it, and a list holds items, not keys: indent it as the key that holds the list (2 spaces)',
    ],
    [
      "f:\n  - a: x\n    b: y\n\n  # c\n  c: 1\n",
      "6:3",
      "indent it as the key that holds the list (0 spaces)",
    ],
    // A list or mapping left open: at the bracket that opened it, not at the next line.
    [
      "t:\n  events: [user.created\nw:\n  url: x\n",
      "2:11",
      "YAML: the [ that opens this list is never closed",
    ],
    [
      't:\n  events: ["[", user.created # [\nw: 1\n',
      "2:11",
      "the [ that opens this list is never closed",
    ],
    [
      "t:\n  events: ['[', user.created\nw: 1\n",
      "2:11",
      "the [ that opens this list is never closed",
    ],
    [
      't:\n  events: ["a\\"[", user.created\nw: 1\n',
      "2:11",
      "the [ that opens this list is never closed",
    ],
    [
      "t:\n  events: [{a: 1}, user.created\nw: 1\n",
      "2:11",
      "the [ that opens this list is never closed",
    ],
    ["t:\n  h: {a: {b: 1}, c: 2\nw: 1\n", "2:6", "the { that opens this mapping is never closed"],
    // Left open above a deeper line, which the parser first reads as a key across lines.
    ["name: [unclosed\n  foo: bar\n", "1:7", "YAML: the [ that opens this list is never closed"],
    ["h: {a: 1\n  b: 2\nw: 1\n", "1:4", "YAML: the { that opens this mapping is never closed"],
    // Text after a quoted value on its line, outside brackets.
    [
      'description: "Callback" for the CRM\n',
      "1:25",
      "YAML: a quoted value ends at its closing quote, so the text after it is left over: put the whole value inside one pair of quotes",
    ],
    ['a: "b""c"\n', "1:7", "YAML: a quoted value ends at its closing quote"],
    ["- 'a' b\n", "1:7", "YAML: a quoted value ends at its closing quote"],
    // A comma left out between the items of a [ ] or { }.
    [
      'a: ["b" "c"]\n',
      "1:9",
      "YAML: a comma is missing before this item of the list: write [a, b]",
    ],
    [
      'a: {"b" c}\n',
      "1:9",
      "YAML: a comma or a colon is missing here: write {key: value, other: value}",
    ],
    [
      'webhook: {url: "https://crm.example.com/a" method: POST}\n',
      "1:44",
      "YAML: a comma is missing before this key: write {key: value, other: value}",
    ],
    ["fields: {who: {value: x} x: name}\n", "1:26", "YAML: a comma is missing before this key"],
    ['h: {\n  a: "x"\n  b: y\n}\n', "3:3", "YAML: a comma is missing before this key"],
    ["a: [[1] 2]\n", "1:9", "YAML: a comma is missing before this item of the list"],
    ["r: {m: 3,, i: 1s}\n", "1:10", "YAML: this comma has no item before it: remove it"],
    ["a: [, b]\n", "1:5", "YAML: this comma has no item before it: remove it"],
    // Text after a closed [ ] or { }, outside brackets.
    [
      "fields: {a: name} b\n",
      "1:19",
      "YAML: a { } mapping ends at its }, so the text after it is left over: put it inside the brackets after a comma, or remove it",
    ],
    ["a: [1] x\n", "1:8", "YAML: a [ ] list ends at its ], so the text after it is left over"],
    ["a: [x] [y]\n", "1:8", "YAML: a [ ] list ends at its ], so the text after it is left over"],
    ['a: "b" [c]\n', "1:8", "YAML: a quoted value ends at its closing quote, so the text after"],
    ["a: [x]]\n", "1:7", "YAML: this ] closes no list: remove it, or open the list with ["],
    ["a: b\n}\n", "2:1", "YAML: this } closes no mapping: remove it, or open the mapping with {"],
    ["kind: { value: pbx-user }}\n", "1:26", "YAML: this } closes no mapping"],
    ["description: %d\n", "1:14", "YAML: a value cannot start with % unless it is quoted"],
    ["description: * all\n", "1:14", "YAML: a value cannot start with * unless it is quoted"],
    ["description: & co\n", "1:14", "YAML: a value cannot start with & unless it is quoted"],
    // The parser's words would repeat text of the value, which may be a secret's.
    [
      'token: "S3c\\Ret-x"\n',
      "1:12",
      'YAML: this \\ starts no escape that "…" knows (such as \\n, \\t, \\" or \\\\): write \\\\ for a backslash, or put the value in single quotes, where \\ is plain text',
    ],
    [
      "token: >-S3cret\n",
      "1:10",
      "YAML: after | or > only - or + and an indentation digit may follow on its line: put the text on the lines below, indented, or quote the value",
    ],
    ["- a\n: S3cret\n", "2:1", 'YAML: this ":" starts its line, so the value after it has no key'],
    // A } written inside a value, which may be a secret: said, not repeated.
    [
      "auth: { type: basic, password: S3cr}t-Pa55 }\n",
      "1:37",
      "YAML: a { } mapping ends at its }, so the text after it is left over: put a value that holds } in quotes",
    ],
    [
      "retry: {maxAttempts: 3 initialDelay: 1s}\n",
      "1:22",
      'YAML: this value holds ": " inside { } or [ ]: put a comma before the next key (write {a: 1, b: 2}), or quote the value if the ": " belongs to it',
    ],
    ["a: [x, y: z w: 1]\n", "1:11", 'YAML: this value holds ": " inside { } or [ ]'],
    ["a: [x: y: z]\n", "1:8", 'YAML: this value holds ": " inside { } or [ ]'],
    [
      "a: [\n  - x\n]\n",
      "2:3",
      'YAML: a "- " list or an indented mapping cannot go inside { } or [ ]',
    ],
    [
      "a: {\n  b:\n    c: 1\n}\n",
      "3:5",
      'YAML: a "- " list or an indented mapping cannot go inside { } or [ ]',
    ],
    // A key across lines with no bracket left open before it keeps its own words.
    ["a: [1]\nb c\n  d: 1\n", "2:1", 'YAML: a key here has no ":" after it'],
    // Of two left open, the inner one: the parser read on looking for its end.
    ["t:\n  events: [x, [y\nw: 1\n", "2:15", "the [ that opens this list is never closed"],
    ['t:\n  events: ["a", [y\nw: 1\n', "2:17", "the [ that opens this list is never closed"],
    [
      "t:\n  h: {a: [1], b: 2\nw: 1\n",
      "2:6",
      "YAML: the { that opens this mapping is never closed: end the mapping with }",
    ],
    ["a: !custom x\n", "1:4", "this YAML tag (a value that starts with !) is not supported"],
    // YAML 1.1's types are not JSON data: a Map from !!omap read as an empty mapping.
    ["fields: !!omap\n  - a: name\n", "1:9", "YAML tag !!omap is not supported"],
    ["fields: !!set\n  ? a\n", "1:9", "YAML tag !!set is not supported"],
    ["at: !!timestamp 2001-12-14\n", "1:5", "YAML tag !!timestamp is not supported"],
    ["a: !<tag:yaml.org,2002:omap> [x]\n", "1:4", "YAML tag !<tag:yaml.org,2002:omap> is"],
    ["a: !!int x\n", "1:4", "YAML tag !!int does not fit its value: remove the tag"],
    ["a: [!foo,b]\n", "1:5", "this YAML tag (a value that starts with !) is not supported"],
    // A key indented under one that has its value: at the key, not at the value above it.
    ["w:\n  url: x\n   method: POST\n", "3:4", "this line is indented deeper than the key above"],
    [
      "w:\n  url: x\n      method: POST\n",
      "3:7",
      "this line is indented deeper than the key above",
    ],
    ["w:\n  url: x\n    method: POST\n    timeout: 1s\n", "3:5", "indented deeper"],
    ["name: x\ndescription: note: this\n", "2:14", 'a value holding ": " must be quoted'],
    ["description: note: this", "1:14", 'a value holding ": " must be quoted'],
  ])("reports %j at %s", (text, position, message) => {
    const [doc] = parseYamlDocuments(text).documents;
    const [problem] = doc?.problems ?? [];
    expect(`${problem?.line}:${problem?.column}`).toBe(position);
    expect(problem?.message).toContain(message);
  });
});

describe("parseYamlDocuments on duplicate keys", () => {
  it("says every duplicate and reads the document on, the later value winning", () => {
    const [doc] = parseYamlDocuments("a: 1\na: 2\nb:\n  c: x\n  c: y\n").documents;
    expect(doc?.problems.map((p) => `${p.line}:${p.column}`)).toEqual(["2:1", "5:3"]);
    expect(doc?.data).toEqual({ a: 2, b: { c: "y" } });
  });

  it("reads no data when another slip comes with the duplicate", () => {
    const [doc] = parseYamlDocuments("a: 1\na: 2\nb: [1\n").documents;
    expect(doc?.problems).toHaveLength(1);
    expect(doc?.data).toBeUndefined();
  });
});

describe("parseYamlDocuments reads YAML 1.2's core schema only", () => {
  it.each([
    ["a: !!str 12\n", { a: "12" }],
    ["a: !!int 0x1F\n", { a: 31 }],
    // A %YAML 1.1 directive changes nothing: `no` stays text, as the fast path reads it.
    ["%YAML 1.1\n---\nenabled: no\nn: 1\n", { enabled: "no", n: 1 }],
  ])("reads %j as %j", (text, data) => {
    const [doc] = parseYamlDocuments(text).documents;
    expect(doc?.problems).toEqual([]);
    expect(doc?.data).toEqual(data);
  });
});

describe("parseYamlDocuments on a file git could not merge", () => {
  const conflicted = (lines: string[]) => ["name: a", ...lines, "scope: {}"].join("\n");

  it.each([
    [["<<<<<<< HEAD", "url: a", "=======", "url: b", ">>>>>>> feature"], 2, "<<<<<<<"],
    [["<<<<<<< HEAD", "url: a", "||||||| base", "url: o", "=======", ">>>>>>> b"], 2, "<<<<<<<"],
    // Half resolved: what is left is still a conflict.
    [["url: a", "=======", "url: b"], 3, "======="],
    [["url: a\r", ">>>>>>>\r"], 3, ">>>>>>>"],
  ])("reports the first marker of %j at its line", (lines, line, marker) => {
    expect(parseYamlDocuments(conflicted(lines)).problems).toEqual([
      {
        line,
        column: 1,
        message: `unresolved merge conflict marker (${marker}): resolve the conflict`,
      },
    ]);
  });

  it.each([
    ["a line of eight", ["url: a", "========"]],
    ["an indented marker", ["description: |", "  <<<<<<< HEAD"]],
  ])("reports no marker for %s", (_, lines) => {
    const { problems } = parseYamlDocuments(conflicted(lines));
    expect(problems.map((p) => p.message).join()).not.toMatch(/merge conflict/);
  });
});

describe("parseYamlDocuments on a value that needed quotes", () => {
  const doubled = "double it ('it''s here'), or put the value in double quotes";
  it.each([
    [
      "webhook:\n  auth: { type: token, token: ${env:CRM_TOKEN} }\n",
      "2:31",
      'YAML: inside { } or [ ], a value holding a ${…} reference must be quoted: write "${env:CRM_TOKEN}"',
    ],
    [
      "auth: {type: token, token: x${env:T}-y}\n",
      "1:28",
      'YAML: inside { } or [ ], a value holding a ${…} reference must be quoted: write "x${env:T}-y"',
    ],
    [
      "webhook:\n  pathArguments: [{serviceUuid}, ext-{extensionNumber}]\n",
      "2:34",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "ext-{extensionNumber}"; ' +
        'quote "{serviceUuid}" too, or it is a mapping',
    ],
    // Text around the reference that may be part of a secret is not repeated.
    [
      "auth: {type: token, token: s3cr3t!${env:T}}\n",
      "1:28",
      'YAML: inside { } or [ ], a value holding a ${…} reference must be quoted: write "${env:NAME}"',
    ],
    [
      "webhook:\n  pathArguments: [{serviceUuid}, {serviceUuid}, ext-{extensionNumber}]\n",
      "2:49",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "ext-{extensionNumber}"; ' +
        'quote "{serviceUuid}" too, or it is a mapping',
    ],
    [
      "pathArguments: [ext-{extensionNumber}]\n",
      "1:17",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "ext-{extensionNumber}"',
    ],
    [
      "pathArguments: [ext-{extensionNumber}, x]\n",
      "1:17",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "ext-{extensionNumber}"',
    ],
    [
      "pathArguments: [ {serviceUuid} , ext-{extensionNumber}]\n",
      "1:34",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "ext-{extensionNumber}"; ' +
        'quote "{serviceUuid}" too, or it is a mapping',
    ],
    [
      "pathArguments: [sip:{extensionNumber}/ext-{name}]\n",
      "1:17",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "sip:{extensionNumber}/ext-{name}"',
    ],
    // A field's name mistyped is repeated: it is no secret, and the unknown placeholder is
    // said once the value is quoted.
    [
      "pathArguments: [ext-{extensionNumbr}]\n",
      "1:17",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "ext-{extensionNumbr}"',
    ],
    // A word longer than six letters, or with digits, may be a secret: an example, not the value.
    [
      "auth: { type: basic, password: pa{ss} Zq7Secret }\n",
      "1:32",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "{name}"',
    ],
    [
      "pathArguments: [ext-{extensionNumber}xxxxxxx]\n",
      "1:17",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "{name}"',
    ],
    // Longer than 80 characters: an example, not the value.
    [
      `pathArguments: [ext-${"{name}-".repeat(11)}{name}]\n`,
      "1:17",
      'YAML: inside { } or [ ], a value holding a "{" must be quoted: write "{name}"',
    ],
    [
      "headers:\n  X-User: {name}-x #note\n",
      "2:11",
      'YAML: a value that starts with "{" must be quoted, or it reads as a mapping: write "{name}-x"',
    ],
    [
      "headers:\n  X-User: {name}-x\n",
      "2:11",
      'YAML: a value that starts with "{" must be quoted, or it reads as a mapping: write "{name}-x"',
    ],
    [
      "headers:\n  X-User: {name} {extensionNumber} # who\n",
      "2:11",
      'YAML: a value that starts with "{" must be quoted, or it reads as a mapping: write "{name} {extensionNumber}"',
    ],
    [
      "pathArguments:\n  - {serviceUuid}-x\n",
      "2:5",
      'YAML: a value that starts with "{" must be quoted, or it reads as a mapping: write "{serviceUuid}-x"',
    ],
    [
      "webhook:\n  headers:\n    X-Note: 'it's here'\n",
      "3:16",
      `YAML: a ' inside a '…' value ends it: ${doubled}`,
    ],
    [
      "headers: { X-Note: 'it's here' }\n",
      "1:23",
      `YAML: a ' inside a '…' value ends it: ${doubled}`,
    ],
    ["headers: [a, 'b'c]\n", "1:16", `YAML: a ' inside a '…' value ends it: ${doubled}`],
    [
      'headers:\n  X-Note: "say "hi" now"\n',
      "2:16",
      'YAML: a " inside a "…" value ends it: write it as \\" ("say \\"hi\\""), or put the value in single quotes',
    ],
  ])("reports %j at %s with what to write", (text, position, message) => {
    const [doc] = parseYamlDocuments(text).documents;
    const [problem] = doc?.problems ?? [];
    expect(`${problem?.line}:${problem?.column}`).toBe(position);
    expect(problem?.message).toBe(message);
  });

  const openedInValue = (bracket: string, what: string) =>
    `YAML: inside { } or [ ], a ${bracket} within a value opens a ${what}: put a value that holds ${bracket} in quotes`;
  it.each([
    // Brackets without a placeholder: the value may be a secret, so it is not repeated.
    ["auth: { type: basic, password: S3cr{t-Pa55 }\n", "1:36", openedInValue("{", "mapping")],
    ["auth: { type: basic, password: S3cr[t-Pa55 }\n", "1:36", openedInValue("[", "list")],
    ["headers: [S3cr[t, b]\n", "1:15", openedInValue("[", "list")],
    ["headers: { X-A: a{b, X-C: d }\n", "1:18", openedInValue("{", "mapping")],
    // A missing comma after a flow mapping or a quoted item is not a quoting mistake.
    [
      'fields: {who: {template: "{name}"} x: name}\n',
      "1:36",
      "YAML: a comma is missing before this key: write {key: value, other: value}",
    ],
    [
      'events: ["a","b""c"]\n',
      "1:17",
      "YAML: a comma is missing before this item of the list: write [a, b]",
    ],
    [
      "a: [x {b: 1}]\n",
      "1:7",
      "YAML: a comma is missing before this item of the list: write [a, b]",
    ],
  ])("says of %j, without its value, what to write", (text, position, message) => {
    const [problem] = parseYamlDocuments(text).documents[0]?.problems ?? [];
    expect(`${problem?.line}:${problem?.column}`).toBe(position);
    expect(problem?.message).toBe(message);
    expect(problem?.message).not.toMatch(/S3cr/);
  });
});

describe("parseYamlDocuments on a quote never closed", () => {
  const never = (q: string) =>
    `YAML: the ${q} that opens this value is never closed, so the value runs on to the end of the file: add the closing ${q}`;
  it.each([
    ['name: x\ndescription: "hello\nscope: { account: acme }\n', "2:14", never('"')],
    ["name: x\nheaders:\n  X-A: 'it\n  X-B: b\n", "3:8", never("'")],
    ['webhook: { url: "https://x.example/h }\n', "1:17", never('"')],
    ['---\nname: a\n---\nname: "b\n', "4:7", never('"')],
  ])(
    "points %j at the opening quote (%s), not at the end of the file",
    (text, position, message) => {
      const problems = parseYamlDocuments(text).documents.flatMap((d) => d.problems);
      const [problem] = problems;
      expect(`${problem?.line}:${problem?.column}`).toBe(position);
      expect(problem?.message).toBe(message);
    },
  );
});

describe("parseYamlDocuments on nesting deeper than any integration", () => {
  const NESTED = "YAML is nested more than 64 levels deep; an integration needs far fewer";
  // Block nesting the bracket scan does not see: before the composer read such a file, a
  // second one in the same process ended it (a fatal out-of-memory error on Node.js 20).
  it.each([
    ["lists on one line", `${"- ".repeat(30_000)}x\n`, "1:129"],
    ["explicit keys on one line", `${"? ".repeat(30_000)}x\n`, "1:129"],
    // The syntax tree's builder itself runs out of stack closing such a run.
    ["lists on one line, closed by the next", `${"- ".repeat(30_000)}x\nx\n`, "1:129"],
    [
      "mappings by indentation",
      Array.from({ length: 1400 }, (_, i) => `${" ".repeat(i)}k:`).join("\n") + " x\n",
      "65:65",
    ],
    ["after a valid document", `name: a\n---\n${"- ".repeat(30_000)}x\n`, "3:129"],
  ])("refuses %s at the first level too deep, each time it is read", (_what, text, position) => {
    for (let time = 0; time < 3; time++) {
      const { documents, problems } = parseYamlDocuments(text);
      expect(documents).toEqual([]);
      expect(problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual([
        `${position}: ${NESTED}`,
      ]);
    }
  });
});

describe("parseYamlDocuments on an alias inside its own anchor's value", () => {
  it("says so at the alias, and reads no data", () => {
    const text = "name: a\nwebhook: &w\n  url: https://x.example\n  fields: {self: *w}\n";
    const [doc] = parseYamlDocuments(text).documents;
    expect(doc?.data).toBeUndefined();
    expect(doc?.problems).toEqual([
      {
        line: 4,
        column: 18,
        message:
          "alias *w is inside the value its anchor &w names, so that value would hold itself without end: write the value out here instead",
      },
    ]);
  });
});

describe("parseYamlDocuments on a line indented with a tab", () => {
  it("says YAML indents with spaces, at the tab", () => {
    const { documents, problems } = parseYamlDocuments("scope:\n\taccount: acme\n");
    const found = [...problems, ...documents.flatMap((d) => d.problems)];
    expect(found).toContainEqual(
      expect.objectContaining({
        line: 2,
        message: "YAML: a tab indents this line, and YAML indents with spaces only: use spaces",
      }),
    );
  });
});

describe("parseYamlDocuments on aliases and tags", () => {
  /** A mapping whose list holds `count` aliases of one anchor. */
  const aliases = (count: number) =>
    `a: &x v\nb: [${Array.from({ length: count }, () => "*x").join(", ")}]\n`;

  it.each([
    [99, []],
    [
      100,
      [
        {
          line: 2,
          column: 5,
          message:
            "too many YAML alias references (more than 100 expanded): this looks like a YAML bomb",
        },
      ],
    ],
  ])("with %d aliases in a document, reports %j", (count, problems) => {
    const [doc] = parseYamlDocuments(aliases(count)).documents;
    expect(doc?.problems).toEqual(problems);
  });
});
