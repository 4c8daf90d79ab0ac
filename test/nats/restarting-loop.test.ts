import { describe, expect, it } from "vitest";
import { restartDelayMs } from "../../src/nats/restarting-loop.js";

describe("the delay before a consumer whose iterator ended is read again", () => {
  it.each([
    [0, 1_000],
    [1, 2_000],
    [2, 4_000],
    [4, 16_000],
    [5, 30_000],
    [50, 30_000],
  ])("after %i failed attempts is %i ms", (attempt, ms) => {
    expect(restartDelayMs(attempt)).toBe(ms);
  });
});
