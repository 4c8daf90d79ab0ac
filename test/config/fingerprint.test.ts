import { describe, expect, it } from "vitest";
import { sameDefinition, stableJson } from "../../src/config/fingerprint.js";
import type { Integration } from "../../src/config/types.js";
import { makeIntegration } from "../support/integration.js";

const crm = makeIntegration();
/** `value` with every object's keys in reverse order, as another writer might give them. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).reverse();
  return Object.fromEntries(entries.map(([k, v]) => [k, reversedKeys(v)])) as T;
}

const inFile = (file: string, line: number): Integration => ({
  ...crm,
  source: { file, line, column: 1 },
});

describe("sameDefinition", () => {
  it.each<[string, Integration | undefined, Integration | undefined]>([
    ["the same object", crm, crm],
    ["a copy, as a file read again gives", crm, structuredClone(crm)],
    ["the integration moved down its file", crm, inFile(crm.source.file, 40)],
    ["its keys in another order", crm, reversedKeys(crm)],
    ["neither there", undefined, undefined],
  ])("holds the same for %s", (_, a, b) => {
    expect(sameDefinition(a, b)).toBe(true);
    expect(sameDefinition(b, a)).toBe(true);
  });

  it.each<[string, Integration | undefined, Integration | undefined]>([
    ["another URL", crm, makeIntegration({ webhook: { url: "https://crm.example.com/v2" } })],
    ["the integration disabled", crm, makeIntegration({ enabled: false })],
    ["the integration moved to another file", crm, inFile("integrations.d/b.yaml", 1)],
    ["one of them gone", crm, undefined],
  ])("tells apart %s", (_, a, b) => {
    expect(sameDefinition(a, b)).toBe(false);
    expect(sameDefinition(b, a)).toBe(false);
  });
});

describe("stableJson", () => {
  it.each<[string, unknown, string]>([
    ["keys sorted at every depth", { b: 1, a: { d: 2, c: 3 } }, '{"a":{"c":3,"d":2},"b":1}'],
    [
      "objects in arrays sorted, the arrays kept in order",
      [{ y: 1, x: 2 }, 3],
      '[{"x":2,"y":1},3]',
    ],
    ["null and text as they are", { b: null, a: "t" }, '{"a":"t","b":null}'],
  ])("writes %s", (_, value, json) => {
    expect(stableJson(value)).toBe(json);
  });
});
