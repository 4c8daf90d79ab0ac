/**
 * The consumer loop's edges that a whole backlog does not show: what it starts after a stop,
 * the slots it gives back, and what it tells its owner (consumer-loop.test.ts has the rest).
 */
import { AckPolicy, jetstream, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { Intake } from "../../src/delivery/concurrency/intake.js";
import { describe, expect, it } from "vitest";
import {
  pullContinuously,
  startConsumerLoop,
  type MessageSource,
  type Slots,
} from "../../src/nats/consumer-loop.js";
import { capturingLogger } from "../support/logs.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";

let nc: NatsConnection;
let jsm: JetStreamManager;

useNatsWithClient("message-loop-test", (started) => {
  ({ nc, jsm } = started);
});

const silent = pino({ level: "silent" });
const unlimited: Slots = { acquire: () => undefined, release: () => undefined };

/** `count` messages of `bytes` each on a new stream, and the pulls of its consumer "c". */
async function pulls(stream: string, count: number, bytes = 16, batch = 64) {
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  await jsm.consumers.add(stream, {
    durable_name: "c",
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(30_000),
  });
  const js = jetstream(nc);
  const body = "x".repeat(bytes);
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, () => js.publish(`${stream}.e`, body)),
    );
  }
  return pullContinuously(await js.consumers.get(stream, "c"), { messages: batch });
}

/** The first `count` messages of `source`, then an end of its own, as a parked backlog ends. */
function firstOf(source: MessageSource, count: number): MessageSource {
  return {
    close: () => source.close(),
    async *[Symbol.asyncIterator]() {
      let given = 0;
      for await (const msg of source) {
        yield msg;
        if (++given === count) break;
      }
    },
  };
}

describe("a consumer loop at a stop", () => {
  it("starts no handler once stopped: the message waiting for a slot is handed back, and the slot given back", async () => {
    const messages = await pulls("WAITING", 5);
    // One place: the loop's second message waits for it while the first is in progress.
    const slots = new Intake(1, { spare: 0, spareAfterMs: 60_000 });
    const handled: number[] = [];
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    const loop = startConsumerLoop({
      name: "c",
      messages,
      handle: async (msg: JsMsg) => {
        handled.push(msg.seq);
        await held;
        return { action: "nak", delayMs: 0 };
      },
      slots,
      ackWaitMs: 30_000,
      log: silent,
      // As the daemon's loops: the hand-backs go at once, not after the stale pull expires.
      stalePulls: { nc, stream: "WAITING", consumer: "c" },
    });
    await waitFor(() => handled.length === 1, { what: "the first message in progress" });
    const stopping = loop.stop();
    letGo();
    await stopping;
    expect(handled).toEqual([1]);
    expect(slots.taken, "the slot given back").toBe(0);
    // Handed back, all five come to the next loop at once, each for the second time.
    const again: JsMsg[] = [];
    const next = startConsumerLoop({
      name: "c",
      messages: await pullContinuously(await jetstream(nc).consumers.get("WAITING", "c"), {
        messages: 64,
      }),
      handle: (msg: JsMsg) => {
        again.push(msg);
        return Promise.resolve({ action: "ack" });
      },
      slots: unlimited,
      ackWaitMs: 30_000,
      log: silent,
    });
    await waitFor(() => again.length === 5, { timeoutMs: 10_000, what: "the five handed back" });
    await next.stop();
    const cameBack = again.map((m) => [m.seq, m.info.deliveryCount]);
    expect(cameBack.sort((a, b) => a[0]! - b[0]!)).toEqual([1, 2, 3, 4, 5].map((seq) => [seq, 2]));
  });

  it("handles none of a batch still arriving when it is stopped in its first handler", async () => {
    // 200 messages of 4 KiB cross the socket in several reads: stopped in the first
    // handler, the loop has the rest of the batch still to come from its iterator.
    const messages = await pulls("TRANSIT", 200, 4 * 1024, 1_024);
    const handled: number[] = [];
    const loop = startConsumerLoop({
      name: "c",
      messages,
      handle: (msg: JsMsg) => {
        handled.push(msg.seq);
        if (handled.length === 1) void loop.stop();
        return Promise.resolve({ action: "nak", delayMs: 0 });
      },
      slots: unlimited,
      ackWaitMs: 30_000,
      log: silent,
    });
    await waitFor(() => handled.length > 0, { what: "the first message" });
    await loop.stop();
    expect(handled).toEqual([1]);
  });
});

describe("what a consumer loop tells its owner", () => {
  it("tells of the first message once, and of a source that ended by itself with no error", async () => {
    const source = firstOf(await pulls("ENDS", 5), 3);
    let firstMessages = 0;
    const ends: unknown[] = [];
    const loop = startConsumerLoop({
      name: "c",
      messages: source,
      handle: () => Promise.resolve({ action: "ack" }),
      slots: unlimited,
      ackWaitMs: 30_000,
      log: silent,
      firstMessage: () => firstMessages++,
      ended: (err) => ends.push(err),
    });
    await loop.done();
    expect(firstMessages).toBe(1);
    expect(ends).toEqual([undefined]);
    await loop.stop();
    await source.close();
    expect(ends).toHaveLength(1);
  });

  it("tells nothing of an end it was asked for", async () => {
    const ends: unknown[] = [];
    let handled = 0;
    const loop = startConsumerLoop({
      name: "c",
      messages: await pulls("STOPPED", 3),
      handle: () => {
        handled++;
        return Promise.resolve({ action: "ack" });
      },
      slots: unlimited,
      ackWaitMs: 30_000,
      log: silent,
      ended: (err) => ends.push(err),
    });
    await waitFor(() => handled === 3, { what: "the three handled" });
    await loop.stop();
    await loop.done();
    expect(ends).toEqual([]);
  });

  it("warns of a handler that fails once the loop is stopping, rather than report an error", async () => {
    const { log, lines } = capturingLogger();
    let failNow!: () => void;
    const failing = new Promise<void>((resolve) => (failNow = resolve));
    let started = 0;
    const loop = startConsumerLoop({
      name: "c",
      messages: await pulls("FAILS_AT_STOP", 1),
      handle: async () => {
        started++;
        await failing;
        throw new Error("aborted by the stop");
      },
      slots: unlimited,
      ackWaitMs: 30_000,
      log,
    });
    await waitFor(() => started === 1, { what: "the message in progress" });
    const stopping = loop.stop();
    failNow();
    await stopping;
    expect(lines.map((l) => [l.level, l.msg, l.consumer, l.seq])).toEqual([
      ["warn", "message not finished at stop", "c", 1],
    ]);
  });
});
