import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { schemaPath } from "../../src/config/schema.js";

type Node = { [key: string]: unknown };

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

describe("the integration schema", () => {
  const schema = JSON.parse(readFileSync(schemaPath("integration"), "utf8")) as Node;

  it("describes every property, for editors", () => {
    const undocumented = properties(schema)
      .filter(
        ([path, node]) => !/\/(oneOf|if)\//.test(path) && typeof node.description !== "string",
      )
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it("forbids unknown keys in every object", () => {
    const open = properties(schema)
      .filter(([path, node]) => node.type === "object" && !path.includes("/oneOf/"))
      .filter(([, node]) => node.additionalProperties === undefined)
      .map(([path]) => path);
    expect(open).toEqual([]);
  });
});
