import { Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { familyHeader, sampleValue } from "../../src/http/exposition.js";

/** The value prom-client writes for a gauge set to `value`. */
async function promClientWrites(value: number): Promise<string> {
  const registry = new Registry();
  new Gauge({ name: "sample", help: "a sample", registers: [registry] }).set(value);
  const line = (await registry.metrics()).split("\n").find((l) => l.startsWith("sample "));
  return line!.slice("sample ".length);
}

describe("sampleValue", () => {
  it.each([NaN, Infinity, -Infinity, 0, -0, 1.5, -2, 1e21, 5e-324])(
    "writes %s as prom-client writes it",
    async (value) => {
      expect(sampleValue(value)).toBe(await promClientWrites(value));
    },
  );
});

describe("familyHeader", () => {
  it("escapes a line break and a backslash in the help text, as the text format asks", () => {
    expect(familyHeader("m", "one\ntwo \\ three", "counter")).toBe(
      "# HELP m one\\ntwo \\\\ three\n# TYPE m counter",
    );
  });
});
