import { describe, expect, it } from "vitest";
import { sameDefinition, stableJson } from "../../src/config/fingerprint.js";
import type { Integration } from "../../src/config/types.js";
import { makeIntegration } from "../support/integration.js";

const crm = makeIntegration();
const inFile = (file: string, line: number): Integration => ({
  ...crm,
  source: { file, line, column: 1 },
});

describe("sameDefinition", () => {
  it.each<[string, Integration | undefined, Integration | undefined]>([
    ["the same object", crm, crm],
    ["a copy, as a file read again gives", crm, structuredClone(crm)],
    ["the integration moved down its file", crm, inFile(crm.source.file, 40)],
    ["its keys in another order", crm, JSON.parse(stableJson(crm)) as Integration],
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
