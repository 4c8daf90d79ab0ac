import { AckPolicy, jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { NatsSetupError, NoStreamError, StreamMissingError } from "../../src/errors.js";
import {
  isMissingResource,
  watchAckFloor,
  watchConsumerStatus,
  type AckFloorWatch,
} from "../../src/nats/recovery.js";
import type { ResumePoint } from "../../src/nats/setup.js";
import { capturingLogger } from "../support/logs.js";
import { useNatsWithClient, withInfoOfNoConsumer } from "../support/nats-server.js";
import { openTimers, sleep, waitFor } from "../support/wait.js";

let nc: NatsConnection;
let jsm: JetStreamManager;
useNatsWithClient("recovery-test", (started) => ({ nc, jsm } = started));

describe("the watch of a consume() iterator", () => {
  /** A consumer on a stream of its own, consumed (every message acked) and watched. */
  async function watched(stream: string, expires: number) {
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await jsm.consumers.add(stream, { durable_name: "c", ack_policy: AckPolicy.Explicit });
    const consumer = await jetstream(nc).consumers.get(stream, "c");
    const messages = await consumer.consume({ max_messages: 10, expires });
    const lost: string[] = [];
    const { log, lines } = capturingLogger("debug");
    const watch = watchConsumerStatus(
      messages,
      { stream, consumer: "c" },
      (what) => lost.push(what),
      log,
    );
    // The client ends an iterator (and its notifications) only while it is read.
    const reading = (async () => {
      for await (const msg of messages) msg.ack();
    })();
    const close = async () => {
      await messages.close();
      await reading;
      await watch.ended;
    };
    return { watch, lost, lines, close };
  }

  it("tells of the iterator's end, and then waits for no pull from it", async () => {
    const { watch, close } = await watched("W", 30_000);
    await sleep(300);
    // Its next pull is 30 s away: only the end can let this wait go.
    const waiting = watch.nextPull(15_000);
    const closed = Date.now();
    await close();
    await waiting;
    await watch.nextPull(15_000);
    expect(Date.now() - closed).toBeLessThan(1_000);
  });

  it("lets a wait go at the consumer's next pull", async () => {
    const { watch, close } = await watched("W1", 1_000);
    await sleep(300);
    const waiting = Date.now();
    await watch.nextPull(5_000);
    // The first pull expires after a second, and the next is sent then.
    expect(Date.now() - waiting).toBeLessThan(4_000);
    await close();
  });

  it("gives up a wait that sees no pull in time, and does not hold the process open meanwhile", async () => {
    const { watch, close } = await watched("W2", 30_000);
    await sleep(300);
    const before = openTimers();
    const waiting = watch.nextPull(300);
    expect(openTimers()).toBe(before);
    await expect(waiting).rejects.toThrow("consumer c did not pull again within 300 ms");
    await close();
  });

  it("reports a deleted consumer, then that it is not found", async () => {
    const { lost, lines, close } = await watched("W3", 1_000);
    await sleep(300);
    await jsm.consumers.delete("W3", "c");
    await waitFor(() => lost.length >= 2);
    expect(lost.slice(0, 2)).toEqual([
      "consumer c on stream W3 was deleted",
      "consumer c on stream W3 not found",
    ]);
    expect(lines.map((line) => line.msg)).toContain("JetStream heartbeats missed");
    await close();
  });

  it("reports a deleted stream as not found", async () => {
    const { lost, close } = await watched("W4", 1_000);
    await sleep(300);
    await jsm.streams.delete("W4");
    await waitFor(() => lost.includes("stream W4 not found"));
    await close();
  });
});

describe("the watch of the event consumer's ack floor", () => {
  const point: ResumePoint = {
    streamCreated: "2026-01-01T00:00:00Z",
    nextSeq: 1,
    readAt: 0,
    workQueue: false,
  };

  /** A stream F<n> with `events` events, its consumer having acknowledged `acked`. */
  async function consumerAt(n: number, events: number, acked: number) {
    const stream = `F${String(n)}`;
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await jsm.consumers.add(stream, { durable_name: "c", ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    for (let i = 0; i < events; i++) await js.publish(`${stream}.e`, "{}");
    const consumer = await js.consumers.get(stream, "c");
    const batch = await consumer.fetch({ max_messages: acked, expires: 2_000 });
    for await (const msg of batch) await msg.ackAck();
    return stream;
  }

  function watching(stream: string) {
    const lost: string[] = [];
    const reads: number[] = [];
    const watch = watchAckFloor({
      jsm,
      stream,
      consumer: "c",
      intervalMs: 20,
      lost: (what) => lost.push(what),
      read: (info) => reads.push(info.ack_floor.stream_seq),
    });
    return { watch, lost, reads };
  }

  it("reads nothing before a set-up has set where the consumer stands", async () => {
    const { watch, reads } = watching(await consumerAt(1, 3, 2));
    await sleep(200);
    expect(reads).toEqual([]);
    expect(watch.point()).toBeUndefined();
    watch.stop();
  });

  it("moves the point to the event after the ack floor and keeps the rest of the set-up's", async () => {
    const { watch, reads } = watching(await consumerAt(2, 5, 3));
    const before = Date.now();
    watch.set(point);
    await waitFor(() => reads.length > 0);
    expect(reads[0]).toBe(3);
    expect(watch.point()).toMatchObject({ streamCreated: point.streamCreated, workQueue: false });
    expect(watch.point()?.nextSeq).toBe(4);
    expect(watch.point()?.readAt).toBeGreaterThanOrEqual(before);
    watch.stop();
  });

  it("keeps a point set while a reading was under way: that reading is of the old one", async () => {
    const stream = await consumerAt(3, 2, 1);
    const newer = { ...point, streamCreated: "2026-02-02T00:00:00Z", nextSeq: 9 };
    const watch: AckFloorWatch = watchAckFloor({
      jsm,
      stream,
      consumer: "c",
      intervalMs: 20,
      lost: () => undefined,
      // Called between the reading and its use: a set-up that ran meanwhile.
      read: () => {
        watch.set(newer);
        watch.stop();
      },
    });
    watch.set(point);
    await waitFor(() => watch.point() !== point);
    await sleep(100);
    expect(watch.point()).toBe(newer);
  });

  it("reports a deleted consumer, and a deleted stream, as lost", async () => {
    const stream = await consumerAt(4, 1, 1);
    const { watch, lost } = watching(stream);
    watch.set(point);
    await jsm.consumers.delete(stream, "c");
    await waitFor(() => lost.length > 0);
    expect(lost[0]).toBe(`consumer c on stream ${stream} not found`);
    await jsm.streams.delete(stream);
    const heard = lost.length;
    await waitFor(() => lost.length > heard);
    expect(lost.at(-1)).toBe(`consumer c on stream ${stream} not found`);
    expect(watch.point()).toBe(point);
    watch.stop();
  });

  it("reports an answer that describes no consumer as lost, as nats-server 2.9 gives one racing a deletion", async () => {
    await withInfoOfNoConsumer("EV", "c", async (infoOfNone) => {
      const lost: string[] = [];
      const watch = watchAckFloor({
        jsm: infoOfNone,
        stream: "EV",
        consumer: "c",
        intervalMs: 20,
        lost: (what) => lost.push(what),
      });
      watch.set(point);
      await waitFor(() => lost.length > 0);
      watch.stop();
      expect(lost[0]).toBe("consumer c on stream EV not found");
      expect(watch.point()).toBe(point);
    });
  });

  it("reads no more once stopped, and never holds the process open", async () => {
    const stream = await consumerAt(5, 1, 1);
    const before = openTimers();
    const { watch, reads } = watching(stream);
    expect(openTimers()).toBe(before);
    watch.set(point);
    await waitFor(() => reads.length > 0);
    watch.stop();
    await sleep(60);
    const read = reads.length;
    await sleep(200);
    expect(reads).toHaveLength(read);
  });
});

describe("what counts as a missing stream or consumer", () => {
  const refusal = (request: Promise<unknown>) =>
    request.then(
      () => undefined,
      (err: unknown) => err,
    );

  it("is the server's answer for a stream or consumer it does not have, also as a cause", async () => {
    await jsm.streams.add({ name: "M", subjects: ["M.>"] });
    const noStream = await refusal(jsm.consumers.info("NOPE", "c"));
    const noConsumer = await refusal(jsm.consumers.info("M", "nope"));
    // A stream whose subjects another stream holds: refused, but nothing is missing.
    const overlap = await refusal(jsm.streams.add({ name: "M2", subjects: ["M.>"] }));
    expect(overlap).toBeInstanceOf(Error);
    expect([noStream, noConsumer, overlap].map(isMissingResource)).toEqual([true, true, false]);
    const wrapped = new NatsSetupError("set-up failed", { cause: noConsumer });
    expect(isMissingResource(wrapped)).toBe(true);
  });

  it.each([
    ["a stream missing under --no-create-stream", new StreamMissingError("EV", ["ev.>"]), true],
    ["a publish that no stream stored", new NoStreamError("ev.user.created", "EV"), true],
    [
      "a publish that no stream stored, as a cause",
      new Error("failed", { cause: new NoStreamError("x", undefined) }),
      true,
    ],
    ["another set-up failure", new NatsSetupError("no quorum"), false],
    ["something that is not an error", "stream not found", false],
    ["nothing", undefined, false],
  ])("%s: %s", (_what, err, missing) => {
    expect(isMissingResource(err)).toBe(missing);
  });
});
