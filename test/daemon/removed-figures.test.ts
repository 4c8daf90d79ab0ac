import pino from "pino";
import { describe, expect, it } from "vitest";
import { forgetRemovedFigures, RemovedFigures } from "../../src/daemon/removed-figures.js";
import { createLimiter } from "../../src/delivery/concurrency/limiter.js";
import { DeliveryStats } from "../../src/delivery/stats.js";
import { DurationHistogram } from "../../src/http/duration-histogram.js";
import { familyText } from "../../src/http/exposition.js";
import { waitFor } from "../support/wait.js";

type Sweep = [atMs: number, loaded: string[], forgotten: string[]];

describe("RemovedFigures: which gone integrations' figures to drop, after 600 ms", () => {
  it.each<[string, string[], Sweep[]]>([
    [
      "a loaded integration: never",
      ["crm"],
      [
        [0, ["crm"], []],
        [10_000, ["crm"], []],
      ],
    ],
    [
      "one removed: once it has been gone that long, counted from the first sweep that missed it",
      ["crm"],
      [
        [0, ["crm"], []],
        [100, [], []],
        [699, [], []],
        [700, [], ["crm"]],
      ],
    ],
    [
      "one removed and back before the time: kept, and timed afresh if it goes again",
      ["crm"],
      [
        [0, [], []],
        [500, ["crm"], []],
        [700, [], []],
        [1_200, [], []],
        [1_300, [], ["crm"]],
      ],
    ],
    [
      "several: each on its own time",
      ["crm", "billing"],
      [
        [0, ["billing"], []],
        [300, [], []],
        [600, [], ["crm"]],
        [900, [], ["billing"]],
      ],
    ],
  ])("%s", (_name, withFigures, sweeps) => {
    const removed = new RemovedFigures(600);
    for (const [at, loaded, forgotten] of sweeps) {
      const set = new Set(loaded);
      expect([at, removed.sweep(withFigures, (n) => set.has(n), at)]).toEqual([at, forgotten]);
    }
  });
});

describe("forgetting the figures of removed integrations", () => {
  it("drops a removed integration's delivery counts and attempt-duration series, and keeps a loaded one's", async () => {
    const histogram = new DurationHistogram({
      name: "test_attempt_duration_seconds",
      help: "test",
      buckets: [0.1, 1],
    });
    const stats = new DeliveryStats();
    for (const name of ["crm", "gone"]) {
      stats.record(name, {
        at: "2026-11-30T19:00:00.000Z",
        outcome: "delivered",
        status: 204,
        error: null,
      });
      histogram.observe(name, 0.05);
    }
    const loaded = new Set(["crm"]);
    const forgottenElsewhere: string[] = [];
    const forgetting = forgetRemovedFigures({
      stats,
      attemptDuration: histogram,
      isLoaded: (name) => loaded.has(name),
      alsoForget: [{ forget: (name) => forgottenElsewhere.push(name) }],
      log: pino({ level: "silent" }),
      afterMs: 100,
      everyMs: 50,
    });
    await forgetting.start();
    try {
      await waitFor(() => stats.get("gone") === undefined, { what: "gone's counts dropped" });
      const text = familyText(histogram);
      expect(text).not.toMatch(/integration="gone"/);
      expect(text).toMatch(/integration="crm"/);
      expect([...histogram.integrations()]).toEqual(["crm"]);
      expect(stats.get("crm")?.counts.delivered).toBe(1);
      expect(forgottenElsewhere).toEqual(["gone"]);
    } finally {
      forgetting.stop();
    }
  });

  it("forgets names only another keeps, and asks again for one kept while it had work in flight", async () => {
    const histogram = new DurationHistogram({
      name: "test_attempt_duration_seconds",
      help: "test",
      buckets: [0.1, 1],
    });
    const limiter = createLimiter();
    for (const name of ["crm", "idle", "busy"]) expect(limiter.acquire(name, 1, 0)).toBe(true);
    limiter.release("idle");
    const loaded = new Set(["crm"]);
    const forgetting = forgetRemovedFigures({
      stats: new DeliveryStats(),
      attemptDuration: histogram,
      isLoaded: (name) => loaded.has(name),
      alsoForget: [limiter],
      log: pino({ level: "silent" }),
      afterMs: 40,
      everyMs: 20,
    });
    await forgetting.start();
    try {
      await waitFor(() => ![...limiter.integrations()].includes("idle"), { what: "idle dropped" });
      // Swept past its time more than once: still kept while its slot is in flight.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect([...limiter.integrations()].sort()).toEqual(["busy", "crm"]);
      limiter.release("busy");
      await waitFor(() => ![...limiter.integrations()].includes("busy"), {
        what: "busy dropped once idle",
      });
      expect([...limiter.integrations()]).toEqual(["crm"]);
    } finally {
      forgetting.stop();
    }
  });
});
