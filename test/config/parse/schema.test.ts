import { readFileSync } from "node:fs";
import { Ajv2020, type Options } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { schemaPath } from "../../../src/config/parse/schema.js";

type Node = { [key: string]: unknown };

// ajv-formats is CommonJS: its default export is the plugin, behind `default` under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

/** Every property schema under `properties`, with its path. */
function properties(node: unknown, path = "#"): Array<[string, Node]> {
  if (node === null || typeof node !== "object") return [];
  const found: Array<[string, Node]> = [];
  for (const [key, value] of Object.entries(node as Node)) {
    if (key === "properties" && value && typeof value === "object") {
      for (const [name, schema] of Object.entries(value as Node)) {
        found.push([`${path}/${name}`, schema as Node]);
      }
    }
    if (key !== "examples") found.push(...properties(value, `${path}/${key}`));
  }
  return found;
}

/**
 * Subschemas of `oneOf` branches and of `allOf` conditions (`if`/`then`) refine properties
 * declared, described and closed in the `properties` next to them.
 */
const REFINEMENT = /\/(oneOf|allOf|if)\//;

describe("the integration schema", () => {
  const text = readFileSync(schemaPath("integration"), "utf8");
  const schema = JSON.parse(text) as Node;

  it("describes every property, for editors", () => {
    const undocumented = properties(schema)
      .filter(([path, node]) => !REFINEMENT.test(path) && typeof node.description !== "string")
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it("forbids unknown keys in every object", () => {
    const open = properties(schema)
      .filter(([path, node]) => node.type === "object" && !REFINEMENT.test(path))
      .filter(([, node]) => node.additionalProperties === undefined)
      .map(([path]) => path);
    expect(open).toEqual([]);
  });

  // ajv-cli compiles with ajv's defaults (strictTypes "log": a union type is a warning);
  // `strict: true` turns every strict-mode check into an error.
  it.each<[string, Options]>([
    ["ajv's default options, as ajv-cli uses them", {}],
    ["strict: true", { strict: true }],
  ])("compiles with plain ajv and ajv-formats without a warning: %s", (_name, options) => {
    const logged: unknown[][] = [];
    const logger = {
      log: (...args: unknown[]) => logged.push(["log", ...args]),
      warn: (...args: unknown[]) => logged.push(["warn", ...args]),
      error: (...args: unknown[]) => logged.push(["error", ...args]),
    };
    const ajv = addFormats(new Ajv2020({ ...options, logger }));
    expect(() => ajv.compile(JSON.parse(text) as object)).not.toThrow();
    expect(logged).toEqual([]);
  });
});
