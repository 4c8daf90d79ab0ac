import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { Intake } from "../../src/delivery/concurrency/intake.js";
import { createLimiter, type Limiter } from "../../src/delivery/concurrency/limiter.js";
import { DELIVERY_STREAM, deliverySubject } from "../../src/nats/layout.js";
import type { Slots } from "../../src/nats/consumer-loop.js";
import { parkedConsumerName } from "../../src/nats/durable-consumers.js";
import type { ParkedReaders } from "../../src/nats/parked-readers.js";
import { PULL_BYTES } from "../../src/nats/pull-size.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { useNatsWithClient } from "../support/nats-server.js";
import {
  deliveryConsumerNames,
  park,
  pullBatches,
  testParkedReaders,
  unlimitedSlots,
} from "../support/parked.js";
import { sleep, waitFor } from "../support/wait.js";

let jsm: JetStreamManager;
let js: JetStreamClient;
let nc: NatsConnection;

useNatsWithClient("parked-readers-one-reader-test", async (started) => {
  ({ jsm, nc } = started);
  js = jsm.jetstream();
  await ensureHookswitchStreams(jsm);
});

const MAX_IN_FLIGHT = 2;
const started: ParkedReaders[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((readers) => readers.stop()));
});

interface Handled {
  record: string;
  hadRoom: boolean;
}

/** Readers whose handler takes a slot of its integration for a moment, and acknowledges. */
function readersFor(
  consumer: string,
  limiter: Limiter,
  slots: Slots = unlimitedSlots,
  messageBytes?: number,
) {
  const handled: Handled[] = [];
  const handle = async (msg: JsMsg) => {
    const integration = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    const hadRoom = limiter.acquire(integration, MAX_IN_FLIGHT, Date.now()) === true;
    handled.push({ record: msg.string(), hadRoom });
    await sleep(20);
    if (hadRoom) limiter.release(integration);
    return { action: "ack" as const };
  };
  const readers = testParkedReaders({
    jsm,
    consumer,
    handle,
    slots,
    room: (integration) => limiter.whenRoom(integration, MAX_IN_FLIGHT),
    messageBytes,
  });
  started.push(readers);
  return { readers, handled };
}

const pullsWaiting = async (consumer: string, integration: string) =>
  (await jsm.consumers.info(DELIVERY_STREAM, parkedConsumerName(consumer, integration)))
    .num_waiting;

describe("an integration's parked deliveries", () => {
  it("are read by one reader however often the integration is parked into meanwhile", async () => {
    const limiter = createLimiter();
    const { readers, handled } = readersFor("once", limiter);
    // Both slots are taken: the reader waits for room, and each park asks for a read again.
    expect(limiter.acquire("crm", MAX_IN_FLIGHT, Date.now())).toBe(true);
    expect(limiter.acquire("crm", MAX_IN_FLIGHT, Date.now())).toBe(true);
    await park(js, "once", "crm", ["o1", "o2", "o3", "o4"]);
    for (let i = 0; i < 3; i++) readers.read("crm");
    await sleep(500); // each read has set up what it would, and waits for room

    limiter.release("crm");
    limiter.release("crm");
    await waitFor(() => handled.length === 4, { what: "four parked deliveries" });
    expect(handled.map((h) => h.record)).toEqual(["o1", "o2", "o3", "o4"]);
    expect(handled.every((h) => h.hadRoom)).toBe(true); // none fetched beyond the free slots
  });

  it("parked after their reader's last pull came back short are read before it ends", async () => {
    // The global cap is held: the reader's first delivery waits for it, its pull expires.
    const cap = new Intake(1, { spare: 0, spareAfterMs: 60_000 });
    expect(cap.acquire()).toBeUndefined();
    const { readers, handled } = readersFor("late", createLimiter(), cap);
    await park(js, "late", "crm", ["first"]);
    readers.read("crm");
    await waitFor(() => cap.waiting === 1, { what: "the first delivery waiting for the cap" });
    await waitFor(async () => (await pullsWaiting("late", "crm")) === 0, {
      what: "the reader's pull to come back short",
    });

    // Parked while the reader still runs: no new reader starts, this one looks once more.
    await park(js, "late", "crm", ["second"]);
    readers.read("crm");
    cap.release();

    await waitFor(() => handled.length === 2, { what: "the delivery parked late" });
    expect(handled.map((h) => h.record)).toEqual(["first", "second"]);
  });

  it("are looked for only in integrations with deliveries parked, not only retries", async () => {
    await js.publish(deliverySubject("retries", "crm"), "a retry");
    await park(js, "retries", "billing", ["b1"]);
    const { readers, handled } = readersFor("retries", createLimiter());

    const waiting = await readers.discover();

    expect(waiting.get("crm")).toEqual({ retry: 1, parked: 0 });
    await waitFor(() => handled.length === 1, { what: "billing's parked delivery" });
    await readers.stop();
    const names = await deliveryConsumerNames(jsm);
    expect(names).toContain(parkedConsumerName("retries", "billing"));
    expect(names).not.toContain(parkedConsumerName("retries", "crm"));
  });

  it("are fetched one at a time when two would weigh more than the share of the server's queue", async () => {
    const { batches, watch } = pullBatches(nc, "heavy", ["crm"]);
    // Two of these weigh more than the share, one less: the room for two counts for one.
    const messageBytes = Math.floor((PULL_BYTES * 2) / 3);
    const { readers, handled } = readersFor("heavy", createLimiter(), unlimitedSlots, messageBytes);
    await park(js, "heavy", "crm", ["h1", "h2", "h3"]);
    readers.read("crm");

    await waitFor(() => handled.length === 3, { what: "three parked deliveries" });
    watch.unsubscribe();
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...batches)).toBe(1);
  });

  it("are still read when one message may weigh more than the share of the server's queue", async () => {
    // A server allowing payloads past the share, and events as large: one at a time still.
    const { readers, handled } = readersFor(
      "huge",
      createLimiter(),
      unlimitedSlots,
      PULL_BYTES * 2,
    );
    await park(js, "huge", "crm", ["g1", "g2"]);
    readers.read("crm");

    await waitFor(() => handled.length === 2, { what: "two parked deliveries" });
    expect(handled.map((h) => h.record)).toEqual(["g1", "g2"]);
  });

  it("are not read once reading stopped, even by a read begun before the stop", async () => {
    const { readers, handled } = readersFor("stopped", createLimiter());
    await park(js, "stopped", "crm", ["c1"]);
    await park(js, "stopped", "billing", ["b1"]);
    readers.read("crm"); // its consumer is still being set up at the stop

    await readers.stop();
    readers.read("billing");

    await waitFor(
      async () => (await deliveryConsumerNames(jsm)).includes(parkedConsumerName("stopped", "crm")),
      {
        what: "the consumer set up by the read begun before the stop",
      },
    );
    await sleep(500);
    expect(handled).toEqual([]);
  });

  it("are read after a read that failed for want of their stream, once it is back", async () => {
    const { readers, handled } = readersFor("failed", createLimiter());
    await jsm.streams.delete(DELIVERY_STREAM);
    readers.read("crm");
    await sleep(300); // the read fails: nothing to read from

    await ensureHookswitchStreams(jsm);
    await park(js, "failed", "crm", ["f1"]);
    readers.read("crm");

    await waitFor(() => handled.length === 1, { what: "the parked delivery" });
  });

  it("stop being read at a stop that comes while their integration has no room", async () => {
    const limiter = createLimiter();
    const { readers, handled } = readersFor("full", limiter);
    expect(limiter.acquire("crm", MAX_IN_FLIGHT, Date.now())).toBe(true);
    expect(limiter.acquire("crm", MAX_IN_FLIGHT, Date.now())).toBe(true);
    await park(js, "full", "crm", ["w1"]);
    readers.read("crm");
    await sleep(300); // the reader waits for room

    await readers.stop(); // does not wait for room: the test would time out
    expect(handled).toEqual([]);
  });
});
