import { describe, expect, it } from "vitest";
import { parkDelay } from "../../src/delivery/delivery-handler.js";

describe("parkDelay", () => {
  it.each([
    // turn, random, delay: ±10% of the turn, at least 50 ms, at most a minute
    [1_000, 0, 900],
    [1_000, 0.5, 1_000],
    [1_000, 0.999_999, 1_100],
    [0, 0.5, 50],
    [40, 0.999_999, 50],
    [120_000, 0, 60_000],
    [10_001, 0.25, 9_501],
  ])(
    "puts a record whose turn comes in %i ms, at random %f, back for %i ms",
    (turn, random, ms) => {
      expect(parkDelay(turn, () => random)).toBe(ms);
    },
  );
});
