import { describe, expect, it } from "vitest";
import { MAX_RESTORES, RESTORE_WINDOW_MS, RestoreBudget } from "../../src/nats/consumer-guard.js";

describe("the consumer guard's budget of restores", () => {
  const minute = 60_000;

  it.each<[string, number[], number, boolean]>([
    ["none yet", [], 0, false],
    ["fewer than the most", [0, minute], 2 * minute, false],
    ["the most within the window", [0, minute, 2 * minute], 3 * minute, true],
    // The window slides: the first restore has left it.
    ["the most, the first gone from the window", [0, minute, 2 * minute], RESTORE_WINDOW_MS, false],
  ])("with %s is spent: %s", (_what, restores, at, spent) => {
    let now = 0;
    const budget = new RestoreBudget(() => now);
    for (const t of restores) {
      now = t;
      budget.spend();
    }
    now = at;
    expect(budget.spent()).toBe(spent);
  });

  it("is told once per spell of being spent, and again after a spell ends", () => {
    let now = 0;
    const budget = new RestoreBudget(() => now);
    for (let i = 0; i < MAX_RESTORES; i++) budget.spend();
    expect(budget.spent()).toBe(true);
    expect([budget.tell(), budget.tell()]).toEqual([true, false]);
    now = RESTORE_WINDOW_MS;
    expect(budget.spent()).toBe(false);
    for (let i = 0; i < MAX_RESTORES; i++) budget.spend();
    expect(budget.spent()).toBe(true);
    expect(budget.tell()).toBe(true);
  });
});
