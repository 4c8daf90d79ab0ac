import {
  AckPolicy,
  jetstream,
  type ConsumerMessages,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  restartDelayMs,
  startRestartingLoop,
  type LoopHooks,
  type RestartingLoopOptions,
} from "../../src/nats/restarting-loop.js";
import { useNatsWithClient } from "../support/nats-server.js";
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

let nc: NatsConnection;
let jsm: JetStreamManager;
useNatsWithClient("restarting-loop-test", (started) => ({ nc, jsm } = started));

/** A real consumer's messages, on an empty stream: these tests look only at the loops. */
const opened: ConsumerMessages[] = [];
async function quietMessages(): Promise<ConsumerMessages> {
  await jsm.streams.add({ name: "RESTARTING", subjects: ["restarting.>"] });
  await jsm.consumers.add("RESTARTING", { durable_name: "c", ack_policy: AckPolicy.Explicit });
  const consumer = await jetstream(nc).consumers.get("RESTARTING", "c");
  const messages = await consumer.consume({ max_messages: 1 });
  opened.push(messages);
  return messages;
}
afterEach(() => {
  // Unsubscribes at once; its promise waits for a read of the iterator, which no loop here makes.
  for (const messages of opened.splice(0)) void messages.close();
});

/** A restarting loop over the test's own loops, one per reading; `hooks` fills as each starts. */
async function restartingOver(
  loops: ReturnType<typeof heldLoop>[],
  options: Partial<RestartingLoopOptions> = {},
) {
  const hooks: LoopHooks[] = [];
  const restarting = startRestartingLoop({
    name: "c",
    first: await quietMessages(),
    open: quietMessages,
    run: (_messages, given) => {
      hooks.push(given);
      return loops[hooks.length - 1]!;
    },
    stopping: () => false,
    log: pino({ level: "silent" }),
    delayMs: () => 0,
    ...options,
  });
  return { restarting, hooks };
}

describe("a consumer read again", () => {
  it("stops, at the daemon's stop, an earlier loop still holding acks for NATS", async () => {
    const loops = [heldLoop(), heldLoop()];
    const { restarting, hooks } = await restartingOver(loops);
    hooks[0]!.ended(new Error("the iterator ended"));
    await waitFor(() => hooks.length === 2, { what: "the consumer read again" });

    await restarting.stop();
    // The first loop is done, its acks still held: it is stopped too, and waits for NATS.
    expect(loops.map((loop) => loop.stops)).toEqual([1, 1]);
    loops[0]!.release();
  });

  it("is ready again at its first message, and its next failure waits the first delay again", async () => {
    const lines: { msg: string; consumer?: string }[] = [];
    const log = pino(
      { level: "info" },
      { write: (line: string) => lines.push(JSON.parse(line) as { msg: string }) },
    );
    const loops = [heldLoop(), heldLoop(), heldLoop(), heldLoop()];
    const attempts: number[] = [];
    const { restarting, hooks } = await restartingOver(loops, {
      log,
      delayMs: (attempt) => {
        attempts.push(attempt);
        return 0;
      },
    });
    expect(restarting.reason()).toBeUndefined();

    hooks[0]!.ended(new Error("the iterator ended"));
    expect(restarting.reason()).toBe(
      "consumer c stopped reading: the iterator ended; reading it again",
    );
    await waitFor(() => hooks.length === 2, { what: "the consumer read again" });
    hooks[1]!.ended(new Error("refused again"));
    await waitFor(() => hooks.length === 3, { what: "the consumer read a third time" });
    // Opened, but nothing read yet: still not ready, with the last reason.
    expect(restarting.reason()).toBe("consumer c stopped reading: refused again; reading it again");

    hooks[2]!.firstMessage();
    expect(restarting.reason()).toBeUndefined();
    expect(lines.map((line) => line.msg)).toContain("consumer c read again: consuming");
    hooks[2]!.ended(new Error("ended once more"));
    // A message of a replaced loop says nothing of the consumer now.
    hooks[1]!.firstMessage();
    expect(restarting.reason()).toBe(
      "consumer c stopped reading: ended once more; reading it again",
    );
    await waitFor(() => hooks.length === 4, { what: "the consumer read a fourth time" });
    expect(attempts).toEqual([0, 1, 0]);

    await restarting.stop();
    for (const loop of loops) loop.release();
  });
});
