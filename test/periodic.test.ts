import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { periodic } from "../src/periodic.js";

// A global timer, which the fake clock moves.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A task that takes `takesMs` and tells how many of its runs were under way at once. */
function slowTask(takesMs: number) {
  const seen = { runs: 0, running: 0, mostAtOnce: 0 };
  const task = async () => {
    seen.runs++;
    seen.running++;
    seen.mostAtOnce = Math.max(seen.mostAtOnce, seen.running);
    await sleep(takesMs);
    seen.running--;
  };
  return { task, seen };
}

describe("a periodic task", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs at once, then the interval after each run ends: never two runs at a time", async () => {
    const { task, seen } = slowTask(120);
    const reads = periodic(task, 20);
    const first = reads.start();
    expect(seen.runs).toBe(1);
    await vi.advanceTimersByTimeAsync(120);
    await first;
    // Each run takes 120 ms and the next starts 20 ms after: runs at 0, 140, 280, … 980.
    await vi.advanceTimersByTimeAsync(880);
    reads.stop();
    expect(seen).toEqual({ runs: 8, running: 1, mostAtOnce: 1 });
  });

  it("sets no timer when stopped during its first run", async () => {
    const { task, seen } = slowTask(50);
    const reads = periodic(task, 10);
    const first = reads.start();
    reads.stop();
    expect(reads.stopped()).toBe(true);
    await vi.advanceTimersByTimeAsync(50);
    await first;
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen.runs).toBe(1);
  });

  it("runs no more once stopped between runs", async () => {
    const { task, seen } = slowTask(10);
    const reads = periodic(task, 100);
    const first = reads.start();
    await vi.advanceTimersByTimeAsync(10);
    await first;
    // Runs at 0, 110 and 220.
    await vi.advanceTimersByTimeAsync(250);
    expect(seen.runs).toBe(3);
    reads.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen.runs).toBe(3);
  });
});
