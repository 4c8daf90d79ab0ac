import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { parseWithPositions } from "../../../src/config/parse/parse-with-positions.js";
import { parseYamlDocuments } from "../../../src/config/parse/parse.js";
import { integrationObject } from "../../support/config-dir.js";
import { REPO } from "../../support/cli.js";

/** The fast path must give exactly what the positional parser gives. */
function expectSameAsPositional(text: string) {
  const fast = parseYamlDocuments(text);
  const full = parseWithPositions(text);
  expect(fast.problems).toEqual(full.problems);
  expect(fast.documents.map((d) => [d.index, d.start, d.data, d.problems])).toEqual(
    full.documents.map((d) => [d.index, d.start, d.data, d.problems]),
  );
  for (const [i, doc] of fast.documents.entries()) {
    for (const path of [
      ["webhook", "url"],
      ["trigger", "events", 0],
      ["scope"],
      ["nope", "x"],
      ["name"],
      ["apiVersion"],
      ["enabled"],
    ]) {
      expect(doc.locate(path)).toEqual(full.documents[i]!.locate(path));
      expect(doc.locate(path, true)).toEqual(full.documents[i]!.locate(path, true));
    }
  }
}

describe("parseYamlDocuments' fast path", () => {
  const examples = readdirSync(join(REPO, "integrations.d")).filter((f) => f.endsWith(".yaml"));

  it.each(examples)("gives the positional parser's result for integrations.d/%s", (file) => {
    expectSameAsPositional(readFileSync(join(REPO, "integrations.d", file), "utf8"));
  });

  it.each([
    ["a comment before the content", "# note\n\n  # more\napiVersion: hookswitch/v1\nname: a\n"],
    ["CRLF line endings", "apiVersion: hookswitch/v1\r\nname: a\r\nenabled: false\r\n"],
    [
      "YAML 1.2 scalars",
      "a: yes\nb: 010\nc: 0o10\nd: 0x1f\ne: ~\nf: .inf\ng: 2026-11-28\nh: '1'\n",
    ],
    [
      "numbers and words other YAML versions read differently",
      "a: 0b101\nb: +12\nc: -.INF\nd: .NaN\ne: 1e3\nf: True\ng: NULL\nh: 0o19\ni: 12:30\nj: on\nk: 0x\nl: -0\n",
    ],
    [
      "signed numbers in other notations",
      "a: -0x1F\nb: +0x1\nc: -0o7\nd: +.5\ne: -0b1\nf: [-1, +2]\n",
    ],
    [
      "block nesting deeper than the fast parser goes",
      Array.from({ length: 70 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " 1\n",
    ],
    ["numbers beyond a double", "a: 1.7976931348623157e309\nb: -1.7976931348623157E309\n"],
    ["numbers beyond a double without a fraction", "a: 8.E400\nb: 8.e+400\nc: [8.e400]\n"],
    ["a flow mapping", "{apiVersion: hookswitch/v1, name: a}\n"],
    ["a duplicate key (refused: the positional parser reports it)", "a: 1\na: 2\n"],
    ["a syntax error", "a: [1, 2\nb: 3\n"],
    ["an alias", "a: &x 1\nb: *x\n"],
    ["two documents", "a: 1\n---\nb: 2\n"],
    ["only comments", "# nothing here\n"],
    ["a tab for indentation", "a:\n\tb: 1\n"],
    ["a __proto__ key", "__proto__: { polluted: true }\na: 1\n"],
    ["null keys", "a: {~: x, b: 1}\nNull: 2\nc:\n  - {NULL: 3}\n  - null: 4\n"],
    ["null keys in flow sequences and explicit keys", "a: [~: x]\nb: [null: y]\n? ~\n: z\n"],
    ["an explicit key", "? a\n: 1\nb: {? c : 2}\n"],
    ["words that only look like null keys", "a: null\nb: [null, ~]\nnullable: 1\nc: 'null: x'\n"],
    [
      "a comment with no space after a quote or bracket (refused)",
      "a: \"b\"#c\nb: [c]#d\nc: {d: e}#f\nd: 'e'#f\n",
    ],
    ["keys that are lists or mappings (refused)", "a: {[b]: c}\n[d, e]: f\n{g: h}: i\n"],
    ["a ]: inside quotes", 'a: "x]: y"\nb: [c]\n'],
    ["a # inside quotes and brackets", 'a: "#b"\nb: ["#c", \'x#\']\nc: "d\\"#e"\nd: e#f\n'],
  ])("gives the positional parser's result for %s", (_name, text) => {
    expectSameAsPositional(text);
  });

  it("gives the positional parser's result for any number-like plain scalar", () => {
    const chars = [..."0123456789+-.eEbBoOxXaAfFinINtTruUlL_:~ "];
    const token = fc
      .array(fc.constantFrom(...chars), { minLength: 1, maxLength: 10 })
      .map((c) => c.join("").trim())
      .filter((t) => t !== "" && !t.startsWith("- ") && !t.includes(": "));
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 4 }), (values) => {
        expectSameAsPositional(values.map((v, i) => `k${i}: ${v}\n`).join(""));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives the positional parser's result for generated integrations", () => {
    const scalar = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noNaN: true }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), scalar), (extra) => {
        expectSameAsPositional(
          stringify(integrationObject("gen", { webhook: { headers: extra } })),
        );
      }),
      { numRuns: 300 },
    );
  });
});
