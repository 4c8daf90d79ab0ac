import { describe, expect, it } from "vitest";
import {
  ByteBudget,
  ByteBudgetError,
  fitsWithin,
} from "../../../src/delivery/concurrency/byte-budget.js";

type Step = ["take", string, number] | ["give", number];

/** Runs the steps on a budget of 100 bytes; says who holds bytes and who waits after them. */
async function run(steps: Step[]) {
  const budget = new ByteBudget(100);
  const admitted: string[] = [];
  for (const step of steps) {
    if (step[0] === "take") {
      const [, who, bytes] = step;
      const waiting = budget.take(bytes);
      if (waiting) void waiting.then(() => admitted.push(who));
      else admitted.push(who);
    } else budget.give(step[1]);
    await Promise.resolve();
  }
  return { admitted, used: budget.used, waiting: budget.waiting };
}

describe("a byte budget", () => {
  it.each<{ name: string; steps: Step[]; admitted: string[]; used: number; waiting: number }>([
    {
      name: "lets in at once what fits",
      steps: [
        ["take", "a", 60],
        ["take", "b", 40],
      ],
      admitted: ["a", "b"],
      used: 100,
      waiting: 0,
    },
    {
      name: "keeps waiting what does not fit",
      steps: [
        ["take", "a", 60],
        ["take", "b", 50],
      ],
      admitted: ["a"],
      used: 60,
      waiting: 1,
    },
    {
      name: "lets the waiter in once enough is given back",
      steps: [
        ["take", "a", 60],
        ["take", "b", 50],
        ["give", 60],
      ],
      admitted: ["a", "b"],
      used: 50,
      waiting: 0,
    },
    {
      name: "serves in order: a small caller does not pass a waiting large one",
      steps: [
        ["take", "a", 60],
        ["take", "big", 50],
        ["take", "small", 10],
      ],
      admitted: ["a"],
      used: 60,
      waiting: 2,
    },
    {
      name: "lets in several waiters at once while they fit",
      steps: [
        ["take", "a", 90],
        ["take", "b", 30],
        ["take", "c", 30],
        ["take", "d", 50],
        ["give", 90],
      ],
      admitted: ["a", "b", "c"],
      used: 60,
      waiting: 1,
    },
    {
      name: "lets a caller larger than the budget in alone",
      steps: [
        ["take", "a", 10],
        ["take", "huge", 500],
        ["give", 10],
      ],
      admitted: ["a", "huge"],
      used: 500,
      waiting: 0,
    },
    {
      name: "lets in a caller of nothing at once",
      steps: [
        ["take", "a", 100],
        ["take", "none", 0],
      ],
      admitted: ["a", "none"],
      used: 100,
      waiting: 0,
    },
  ])("$name", async ({ steps, admitted, used, waiting }) => {
    expect(await run(steps)).toEqual({ admitted, used, waiting });
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses a limit of %s, saying what a limit is", (limit) => {
    expect(() => new ByteBudget(limit)).toThrow(ByteBudgetError);
    expect(() => new ByteBudget(limit)).toThrow(
      expect.objectContaining({
        name: "ByteBudgetError",
        message: `a byte budget must be a whole number ≥ 1, got ${limit}`,
      }),
    );
  });

  it("takes a limit of one byte", () => {
    expect(new ByteBudget(1).limit).toBe(1);
  });

  it("refuses more given back than taken, and sizes that are no count", () => {
    const budget = new ByteBudget(100);
    expect(budget.take(10)).toBeUndefined();
    expect(() => budget.give(11)).toThrow(/gave back 11 bytes with only 10 taken/);
    expect(() => budget.take(-1)).toThrow("bytes must be a whole number ≥ 0, got -1");
    expect(() => budget.take(2.5)).toThrow(ByteBudgetError);
  });

  it.each([
    // taken, more, limit, fits
    [0, 500, 100, true], // alone, however large
    [60, 40, 100, true],
    [60, 41, 100, false],
    [1, 0, 100, true],
    [100, 1, 100, false],
  ])("with %i taken, %i more fit within %i: %s", (used, bytes, limit, fits) => {
    expect(fitsWithin(used, bytes, limit)).toBe(fits);
  });
});
