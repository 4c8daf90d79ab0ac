import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { Intake } from "../../src/delivery/concurrency/intake.js";
import { createLimiter, type Limiter } from "../../src/delivery/concurrency/limiter.js";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import type { Slots } from "../../src/nats/consumer-loop.js";
import {
  PARKED_CONSUMER_IDLE_MS,
  parkedConsumerConfig,
  parkedConsumerName,
} from "../../src/nats/durable-consumers.js";
import type { ParkedReaders } from "../../src/nats/parked-readers.js";
import { PULL_BYTES } from "../../src/nats/pull-size.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { acksApplied, useNatsWithClient } from "../support/nats-server.js";
import { park, pullBatches, testParkedReaders, unlimitedSlots } from "../support/parked.js";
import { sleep, waitFor } from "../support/wait.js";

let jsm: JetStreamManager;
let js: JetStreamClient;
let nc: NatsConnection;

useNatsWithClient("parked-readers-test", async (started) => {
  ({ jsm, nc } = started);
  js = jsm.jetstream();
  await ensureHookswitchStreams(jsm);
});

const MAX_IN_FLIGHT = 2;

interface Handled {
  record: string;
  deliveryCount: number;
}

/**
 * Readers for deployment `consumer` whose handler runs each record as a delivery would:
 * it takes a slot of its integration, holds it for `holdMs`, and acknowledges.
 */
function readersFor(
  consumer: string,
  limiter: Limiter,
  holdMs = 20,
  {
    slots = unlimitedSlots,
    ackWaitMs = 30_000,
    places,
    messageBytes,
    serverVersion,
  }: {
    slots?: Slots;
    ackWaitMs?: number;
    places?: () => number;
    messageBytes?: number;
    serverVersion?: string;
  } = {},
) {
  const handled: Handled[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const handle = async (msg: JsMsg) => {
    const integration = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    expect(limiter.acquire(integration, MAX_IN_FLIGHT, Date.now())).toBe(true);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    handled.push({ record: msg.string(), deliveryCount: msg.info.deliveryCount });
    await sleep(holdMs);
    running--;
    limiter.release(integration);
    return { action: "ack" as const };
  };
  const readers = testParkedReaders({
    jsm,
    consumer,
    handle,
    slots,
    ackWaitMs,
    room: (integration) => limiter.whenRoom(integration, MAX_IN_FLIGHT),
    places,
    messageBytes,
    ...(serverVersion === undefined ? {} : { serverVersion }),
  });
  started.push(readers);
  return { readers, handled, mostAtOnce: () => mostAtOnce };
}

const started: ParkedReaders[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((readers) => readers.stop()));
});

describe("parked deliveries", () => {
  it("are read only while their integration has room, each once", async () => {
    const limiter = createLimiter();
    const { readers, handled, mostAtOnce } = readersFor("room", limiter);
    // The integration is busy with other work: both of its slots are taken.
    expect(limiter.acquire("crm", MAX_IN_FLIGHT, Date.now())).toBe(true);
    expect(limiter.acquire("crm", MAX_IN_FLIGHT, Date.now())).toBe(true);
    await park(js, "room", "crm", ["r1", "r2", "r3", "r4", "r5"]);
    readers.read("crm");

    await sleep(500);
    expect(handled).toEqual([]);
    const waiting = await jsm.consumers.info(DELIVERY_STREAM, parkedConsumerName("room", "crm"));
    expect(waiting).toMatchObject({ num_pending: 5, num_ack_pending: 0 });

    limiter.release("crm");
    limiter.release("crm");
    await waitFor(() => handled.length === 5, { what: "five parked deliveries" });
    expect(handled.map((h) => h.record)).toEqual(["r1", "r2", "r3", "r4", "r5"]);
    expect(handled.every((h) => h.deliveryCount === 1)).toBe(true); // none handed back
    expect(mostAtOnce()).toBe(MAX_IN_FLIGHT);
    await waitFor(() => limiter.inFlight("crm") === 0, { what: "the last delivery to end" });
    const done = await acksApplied(jsm, DELIVERY_STREAM, parkedConsumerName("room", "crm"));
    expect(done).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
  });

  it("parked before a start (by another replica, or before a restart) are found and read", async () => {
    await park(js, "found", "billing", ["b1", "b2", "b3"]);
    await park(js, "other-deployment", "billing", ["not ours"]);
    const { readers, handled } = readersFor("found", createLimiter());

    await readers.discover();

    await waitFor(() => handled.length === 3, { what: "three parked deliveries" });
    await sleep(200);
    expect(handled.map((h) => h.record).sort()).toEqual(["b1", "b2", "b3"]);
  });

  it("stop being read when none are left, until the next one is parked", async () => {
    const { readers, handled } = readersFor("again", createLimiter());
    await park(js, "again", "crm", ["first"]);
    readers.read("crm");
    await waitFor(() => handled.length === 1, { what: "the first parked delivery" });

    // Its pull comes back short after a second, and no pull is left waiting: it ended.
    const info = () => jsm.consumers.info(DELIVERY_STREAM, parkedConsumerName("again", "crm"));
    await waitFor(async () => (await info()).num_waiting === 0, { what: "the reader to end" });
    await park(js, "again", "crm", ["second"]);
    await sleep(300);
    expect(handled).toHaveLength(1);

    readers.read("crm");
    await waitFor(() => handled.length === 2, { what: "the second parked delivery" });
    expect(handled[1]).toEqual({ record: "second", deliveryCount: 1 });
  });

  it("are read again after NATS removed their consumer for being unused", async () => {
    const { readers, handled } = readersFor("idle", createLimiter());
    await park(js, "idle", "crm", ["before"]);
    readers.read("crm");
    await waitFor(() => handled.length === 1, { what: "the first parked delivery" });
    const name = parkedConsumerName("idle", "crm");
    await waitFor(async () => (await jsm.consumers.info(DELIVERY_STREAM, name)).num_waiting === 0, {
      what: "the reader to end",
    });

    await jsm.consumers.delete(DELIVERY_STREAM, name); // what an hour unused does
    await park(js, "idle", "crm", ["after"]);
    readers.read("crm");

    await waitFor(() => handled.length === 2, { what: "the parked delivery after the removal" });
    expect(handled[1]).toEqual({ record: "after", deliveryCount: 1 });
  });

  it.each([
    ["2.9.10", 0],
    ["2.10.27", PARKED_CONSUMER_IDLE_MS],
  ])(
    "told of nats-server %s, set their consumer's removal after unused to %d ms (0: kept), whatever it was",
    async (serverVersion, idleMs) => {
      const deployment = `told-${serverVersion.replaceAll(".", "-")}`;
      const name = parkedConsumerName(deployment, "crm");
      // Made by a run told of the other kind of server (or by a release before this one).
      const other = parkedConsumerConfig({
        consumer: deployment,
        integration: "crm",
        ackWaitMs: 30_000,
        serverVersion: idleMs === 0 ? "2.10.27" : "2.9.10",
      });
      await jsm.consumers.add(DELIVERY_STREAM, other);
      const { readers, handled } = readersFor(deployment, createLimiter(), 20, { serverVersion });
      await park(js, deployment, "crm", ["p1"]);
      readers.read("crm");

      await waitFor(() => handled.length === 1, { what: "the parked delivery" });
      const info = await jsm.consumers.info(DELIVERY_STREAM, name);
      expect(info.config.inactive_threshold ?? 0).toBe(nanos(idleMs));
    },
  );

  it("are kept alive while they wait for the global cap, not read again by another replica", async () => {
    // This replica's global cap is held by a request that hangs, longer than the ack wait.
    const cap = new Intake(1, { spare: 0, spareAfterMs: 60_000 });
    expect(cap.acquire()).toBeUndefined();
    const options = { slots: cap, ackWaitMs: 1_000 };
    const stuck = readersFor("alive", createLimiter(), 20, options);
    const other = readersFor("alive", createLimiter(), 20, { ...options, slots: unlimitedSlots });
    await park(js, "alive", "crm", ["a1", "a2"]);
    stuck.readers.read("crm");
    await waitFor(() => cap.waiting === 1, { what: "the first delivery waiting for the cap" });
    await sleep(1_500); // past the ack wait
    other.readers.read("crm"); // another replica looks for parked deliveries

    await sleep(1_500);
    cap.release();
    await waitFor(() => stuck.handled.length + other.handled.length >= 2, {
      what: "both parked deliveries",
    });
    await sleep(500);
    const records = [...stuck.handled, ...other.handled].map((h) => h.record).sort();
    expect(records).toEqual(["a1", "a2"]);
  });

  it("are fetched no more at once than the global cap has places free", async () => {
    const { batches, watch } = pullBatches(nc, "places", ["crm"]);
    const cap = new Intake(1, { spare: 0, spareAfterMs: 60_000 });
    const { readers, handled } = readersFor("places", createLimiter(), 20, {
      slots: cap,
      places: () => cap.size - cap.taken,
    });
    await park(js, "places", "crm", ["p1", "p2", "p3", "p4"]);
    readers.read("crm");
    await waitFor(() => handled.length === 4, { what: "four parked deliveries" });
    watch.unsubscribe();
    // The integration had room for two each time; the cap had one place.
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...batches)).toBe(1);
  });

  it("are fetched, all integrations together, no more at once than their share of the server's queue", async () => {
    const { batches, watch } = pullBatches(nc, "bytes", ["crm", "billing"]);
    // A parked delivery may be as large as the whole share: one at a time, whatever the room.
    const { readers, handled } = readersFor("bytes", createLimiter(), 20, {
      messageBytes: PULL_BYTES,
    });
    await park(js, "bytes", "crm", ["c1", "c2", "c3"]);
    await park(js, "bytes", "billing", ["b1", "b2", "b3"]);
    readers.read("crm");
    readers.read("billing");
    await waitFor(() => handled.length === 6, { what: "six parked deliveries" });
    watch.unsubscribe();
    // Each integration had room for two each time.
    expect(batches.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...batches)).toBe(1);
  });

  it("are handed back, not lost, when reading stops while they wait", async () => {
    const limiter = createLimiter();
    const { readers, handled } = readersFor("stop", limiter, 300);
    await park(js, "stop", "crm", ["s1", "s2", "s3"]);
    readers.read("crm");
    await waitFor(() => handled.length === MAX_IN_FLIGHT, { what: "the first two to start" });

    await readers.stop();

    // The two that ran were acknowledged; the third was never read.
    expect(handled.map((h) => h.record)).toEqual(["s1", "s2"]);
    const consumer = parkedConsumerName("stop", "crm");
    const info = await acksApplied(jsm, DELIVERY_STREAM, consumer, "both acknowledgements");
    expect(info.num_pending).toBe(1);
  });
});
