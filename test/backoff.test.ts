import { describe, expect, it } from "vitest";
import { doublingDelayMs } from "../src/backoff.js";

describe("doublingDelayMs", () => {
  it.each([
    { step: 0, first: 500, max: 30_000, expected: 500 },
    { step: 1, first: 500, max: 30_000, expected: 1_000 },
    { step: 5, first: 500, max: 30_000, expected: 16_000 },
    { step: 6, first: 500, max: 30_000, expected: 30_000 },
    { step: 1_000, first: 500, max: 30_000, expected: 30_000 },
    { step: -3, first: 500, max: 30_000, expected: 500 },
    { step: 2.7, first: 100, max: 10_000, expected: 400 },
    { step: 10_000, first: 1, max: Number.MAX_SAFE_INTEGER, expected: 2 ** 40 },
    { step: 3, first: 0, max: 1_000, expected: 0 },
  ])(
    "is $expected ms at step $step from $first ms up to $max ms",
    ({ step, first, max, expected }) => {
      expect(doublingDelayMs(step, first, max)).toBe(expected);
    },
  );
});
