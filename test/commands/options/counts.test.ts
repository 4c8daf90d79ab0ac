import { describe, expect, it } from "vitest";
import { countOf } from "../../../src/commands/options/counts.js";
import { UsageError } from "../../../src/errors.js";

describe("a count given to a command", () => {
  it.each([
    ["1", 1, 1],
    ["64", 1, 64],
    ["100", 100, 100],
    ["007", 1, 7],
  ])("%j (at least %i) is %i", (text, least, count) => {
    expect(countOf("--n", text, least)).toBe(count);
  });

  it.each([
    ["0", 1],
    ["99", 100],
    ["", 1],
    ["-1", 1],
    ["1e3", 1],
    ["0x10", 1],
    [" 7", 1],
    ["2.5", 1],
  ])("%j (at least %i) is a usage error quoting it", (text, least) => {
    expect(() => countOf("HOOKSWITCH_N (--n)", text, least)).toThrow(UsageError);
    expect(() => countOf("HOOKSWITCH_N (--n)", text, least)).toThrow(
      `HOOKSWITCH_N (--n) must be a whole number ≥ ${least}, not "${text}"`,
    );
  });

  it("takes at least 1 when no least is given", () => {
    expect(countOf("--n", "1")).toBe(1);
    expect(() => countOf("--n", "0")).toThrow('--n must be a whole number ≥ 1, not "0"');
  });
});
