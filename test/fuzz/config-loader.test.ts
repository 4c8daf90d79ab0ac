import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFileSync, type FileResult } from "../../src/config/load/load-file.js";
import { integrationObject, integrationYaml } from "../support/config-dir.js";

let dir: string;
let serial = 0;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hookswitch-fuzz-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function load(content: string | Uint8Array): FileResult {
  const file = path.join(dir, `f${serial++ % 8}.yaml`);
  fs.writeFileSync(file, content);
  return loadFileSync(file, { secrets: "keep", env: {} });
}

/** Never throws; every problem is located and worded; an integration only comes with a name. */
function expectWellFormed(result: FileResult): void {
  expect(Array.isArray(result.integrations)).toBe(true);
  expect(Array.isArray(result.problems)).toBe(true);
  for (const problem of result.problems) {
    expect(problem.line).toBeGreaterThanOrEqual(1);
    expect(problem.column).toBeGreaterThanOrEqual(1);
    expect(typeof problem.message).toBe("string");
    expect(problem.message.length).toBeGreaterThan(0);
  }
  for (const integration of result.integrations) expect(typeof integration.name).toBe("string");
}

const POLLUTING_KEYS = ["__proto__", "constructor", "prototype"];
function expectPrototypesClean(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
  expect(Object.getOwnPropertyNames(Array.prototype)).not.toContain("polluted");
}

const anyKey = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...POLLUTING_KEYS, "<<"));
const anyTree = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: "small" },
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(anyKey, tie("tree"), { maxKeys: 5 }),
    fc.array(tie("tree"), { maxLength: 4 }),
  ),
})).tree;

describe("the integration loader with arbitrary input", () => {
  it("never throws on arbitrary text or bytes", () => {
    const input = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.string({
        unit: fc.constantFrom(
          "{",
          "[",
          "]",
          "}",
          ":",
          "-",
          " ",
          "\n",
          "&a",
          "*a",
          "!!",
          "'",
          '"',
          "#",
          "<<",
          "---",
          "${",
          "a",
        ),
        maxLength: 200,
      }),
    );
    fc.assert(
      fc.property(input, (content) => expectWellFormed(load(content))),
      { numRuns: 100 },
    );
  });

  it("never throws on arbitrary nested objects dumped as YAML", () => {
    fc.assert(
      fc.property(anyTree, (tree) => {
        const text = stringify(tree);
        expectWellFormed(load(text));
        expectPrototypesClean();
      }),
      { numRuns: 60 },
    );
  });

  it("reports a problem or yields an integration for a valid file with one field replaced", () => {
    const base = integrationObject("fuzzed");
    const fieldPaths = [
      ["name"],
      ["enabled"],
      ["scope"],
      ["scope", "account"],
      ["trigger", "events"],
      ["trigger", "serviceType"],
      ["webhook", "url"],
      ["webhook", "method"],
      ["webhook", "format"],
      ["webhook", "headers"],
      ["webhook", "fields"],
      ["webhook", "auth"],
      ["webhook", "retry"],
      ["webhook", "timeout"],
      ["webhook", "pathArguments"],
      ["webhook", "signing"],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fieldPaths), anyTree, (fieldPath, value) => {
        const doc = structuredClone(base) as Record<string, unknown>;
        let at = doc;
        for (const key of fieldPath.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
        at[fieldPath.at(-1)!] = value;
        const result = load(stringify(doc));
        expectWellFormed(result);
        expect(result.problems.length + result.integrations.length).toBeGreaterThan(0);
        expectPrototypesClean();
      }),
      { numRuns: 100 },
    );
  });
});

describe("prototype-pollution keys in integration files", () => {
  const polluting = [
    "__proto__:\n  polluted: yes\n",
    "constructor:\n  prototype:\n    polluted: yes\n",
    "webhook:\n  url: http://127.0.0.1:9/\n  headers:\n    __proto__:\n      polluted: yes\n",
    "webhook:\n  url: http://127.0.0.1:9/\n  fields:\n    __proto__: name\n    constructor: name\n",
    "base: &b\n  __proto__:\n    polluted: yes\n<<: *b\n",
    "? __proto__\n: { polluted: yes }\n",
  ];
  it.each(polluting)("loading %j leaves Object.prototype alone", (extra) => {
    const text = `${integrationYaml("proto-keys")}${extra}`;
    const result = load(text);
    expectWellFormed(result);
    expectPrototypesClean();
    for (const integration of result.integrations) {
      expect(Object.getPrototypeOf(integration.webhook.headers)).not.toHaveProperty("polluted");
    }
  });
});
