import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NatsConnectionLostError } from "../../src/errors.js";
import { limitOutages } from "../../src/nats/outage-limit.js";

type Change = "disconnect" | "staleConnection" | "reconnect" | "reconnecting";

/** Status changes as a connection hands them out, one at a time, as they are pushed. */
function statusFeed() {
  const queued: Change[] = [];
  let wake: (() => void) | undefined;
  async function* statuses(): AsyncGenerator<{ type: Change }> {
    for (;;) {
      const type = queued.shift();
      if (type) yield { type };
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    statuses: statuses(),
    push(type: Change) {
      queued.push(type);
      wake?.();
    },
  };
}

const GRACE_MS = 10_000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the bound on a command's wait for a lost NATS connection", () => {
  // Each step is a status change, or a number of milliseconds passing.
  const cases: { name: string; steps: (Change | number)[]; told: number; failed: boolean }[] = [
    {
      name: "gives up once the connection has been down for the whole grace period",
      steps: ["disconnect", GRACE_MS],
      told: 1,
      failed: true,
    },
    {
      name: "waits on while the grace period is not over",
      steps: ["disconnect", GRACE_MS - 1],
      told: 1,
      failed: false,
    },
    {
      name: "forgets an outage the connection came back from",
      steps: ["disconnect", 6_000, "reconnect", 3 * GRACE_MS],
      told: 1,
      failed: false,
    },
    {
      name: "counts a second sign of the same outage as one, from its start",
      steps: ["disconnect", 6_000, "staleConnection", 3_000, "reconnect", 3 * GRACE_MS],
      told: 1,
      failed: false,
    },
    {
      name: "does not start the period again at a second sign of the same outage",
      steps: ["disconnect", 6_000, "staleConnection", GRACE_MS - 6_000],
      told: 1,
      failed: true,
    },
    {
      name: "tells of each outage, and times each from its own start",
      steps: ["disconnect", 6_000, "reconnect", "disconnect", GRACE_MS - 1],
      told: 2,
      failed: false,
    },
    {
      name: "reads reconnect attempts as neither",
      steps: ["reconnecting", GRACE_MS, "disconnect", "reconnecting", GRACE_MS],
      told: 1,
      failed: true,
    },
  ];

  it.each(cases)("$name", async ({ steps, told, failed }) => {
    const feed = statusFeed();
    const onLost = vi.fn();
    const limit = limitOutages(feed.statuses, { graceMs: GRACE_MS, onLost });
    let error: unknown;
    limit.exceeded.catch((e: unknown) => (error = e));
    try {
      for (const step of steps) {
        if (typeof step === "number") await vi.advanceTimersByTimeAsync(step);
        else {
          feed.push(step);
          await vi.advanceTimersByTimeAsync(0);
        }
      }
      expect(onLost).toHaveBeenCalledTimes(told);
      expect(onLost).toHaveBeenCalledWith(GRACE_MS);
      if (failed) expect(error).toBeInstanceOf(NatsConnectionLostError);
      else expect(error).toBeUndefined();
    } finally {
      limit.stop();
    }
  });

  it("gives up on nothing once stopped", async () => {
    const feed = statusFeed();
    const limit = limitOutages(feed.statuses, { graceMs: GRACE_MS });
    let error: unknown;
    limit.exceeded.catch((e: unknown) => (error = e));
    feed.push("disconnect");
    await vi.advanceTimersByTimeAsync(0);
    limit.stop();
    await vi.advanceTimersByTimeAsync(2 * GRACE_MS);
    expect(error).toBeUndefined();
  });
});
