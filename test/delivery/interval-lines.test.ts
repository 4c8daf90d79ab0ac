import { describe, expect, it } from "vitest";
import { IntervalLines } from "../../src/delivery/interval-lines.js";

type Step = [at: number, logged: boolean];

describe("IntervalLines: which lines of a flood are logged in full, 2 per 60 s", () => {
  it.each<[string, Step[], number]>([
    [
      "a few: each in full",
      [
        [0, true],
        [5_000, true],
      ],
      0,
    ],
    [
      "a flood: the first two, then counted",
      [
        [0, true],
        [1, true],
        [2, false],
        [3, false],
        [59_999, false],
      ],
      3,
    ],
    [
      "a flood that goes on: two more in full once the interval is over",
      [
        [0, true],
        [1, true],
        [2, false],
        [60_000, true],
        [60_001, true],
        [60_002, false],
      ],
      2,
    ],
    [
      "the next interval starts with the next one, not on a clock",
      [
        [0, true],
        [1, true],
        [90_000, true],
        [90_001, true],
        [149_999, false],
        [150_000, true],
      ],
      1,
    ],
  ])("%s", (_name, steps, unlogged) => {
    const lines = new IntervalLines(2, 60_000);
    for (const [at, logged] of steps) expect([at, lines.take(at)]).toEqual([at, logged]);
    expect(lines.takeUnlogged()).toBe(unlogged);
    expect(lines.takeUnlogged()).toBe(0);
  });

  it("says when the interval under way ends", () => {
    const lines = new IntervalLines(2, 60_000);
    expect(lines.endsAt()).toBeUndefined();
    lines.take(1_000);
    lines.take(30_000);
    expect(lines.endsAt()).toBe(61_000);
  });
});
