import type { ConsumerMessages } from "@nats-io/jetstream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  restartDelayMs,
  startRestartingLoop,
  type LoopHooks,
} from "../../src/nats/restarting-loop.js";
import { waitFor } from "../support/wait.js";

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

/** A consumer loop of the test's own: it counts its stops, and holds acks until told. */
function heldLoop() {
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const loop = {
    stops: 0,
    stop: () => {
      loop.stops++;
      return Promise.resolve();
    },
    done: () => Promise.resolve(),
    sent: () => held,
    release,
  };
  return loop;
}

/** An iterator whose status stream ends at once: these tests look only at the loops. */
const quietMessages = () =>
  ({ status: () => (async function* () {})() }) as unknown as ConsumerMessages;

describe("a consumer read again", () => {
  it("stops, at the daemon's stop, an earlier loop still holding acks for NATS", async () => {
    const loops = [heldLoop(), heldLoop()];
    const hooks: LoopHooks[] = [];
    const restarting = startRestartingLoop({
      name: "c",
      first: quietMessages(),
      open: () => Promise.resolve(quietMessages()),
      run: (_messages, given) => {
        hooks.push(given);
        return loops[hooks.length - 1]!;
      },
      stopping: () => false,
      log: pino({ level: "silent" }),
      delayMs: () => 0,
    });
    hooks[0]!.ended(new Error("the iterator ended"));
    await waitFor(() => hooks.length === 2, { what: "the consumer read again" });

    await restarting.stop();
    // The first loop is done, its acks still held: it is stopped too, and waits for NATS.
    expect(loops.map((loop) => loop.stops)).toEqual([1, 1]);
    loops[0]!.release();
  });
});
