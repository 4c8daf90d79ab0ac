/**
 * hookswitch's own streams on a NATS server whose JetStream storage is full (a small
 * max_file_store), as an operator's may be: the events' stream is in memory, so only
 * hookswitch's records are refused.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeadLetterStore } from "../../src/delivery/dead-letters.js";
import { createDurableQueue } from "../../src/delivery/durable-queue.js";
import { unsentDeadLetter, type DeliveryRecord } from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM, deliverySubject } from "../../src/nats/layout.js";
import { connectNats } from "../../src/nats/connection.js";
import { pullContinuously, startConsumerLoop, type Slots } from "../../src/nats/consumer-loop.js";
import { StoreFailedError } from "../../src/nats/store-failure.js";
import { createStoreFailureLog } from "../../src/nats/store-failure-log.js";
import { createStoredPublisher } from "../../src/nats/stored-publish.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { tempDir } from "../support/daemon.js";
import { capturingLogger } from "../support/logs.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";

let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const dir = tempDir("hookswitch-store-full-");

beforeAll(async () => {
  const config = join(dir.path, "nats.conf");
  writeFileSync(config, "jetstream { max_file_store: 256KB }\n");
  nats = await startNatsServer(["-c", config]);
  nc = await connectNats(
    { servers: [nats.url], auth: { kind: "none" } },
    { name: "store-full-test", waitOnFirstConnect: false },
  );
  jsm = await jetstreamManager(nc);
  await ensureHookswitchStreams(jsm);
  await fillStorage();
});
afterAll(async () => {
  await nc?.close();
  await nats?.dispose();
  dir.cleanup();
});

/** Fills the server's file storage with records of another deployment until it refuses one. */
async function fillStorage(): Promise<void> {
  const js = jetstream(nc);
  const filler = "x".repeat(8 * 1024);
  for (let i = 0; i < 200; i++) {
    try {
      await js.publish(deliverySubject("filler", "crm"), filler);
    } catch {
      return;
    }
  }
  throw new Error("JetStream storage did not fill up");
}

const record = (webhookId: string): DeliveryRecord => ({
  v: 1,
  webhookId,
  integration: "crm",
  event: { id: webhookId },
  attempts: [],
});

function queueTelling(failed: string[]) {
  const js = jetstream(nc);
  return createDurableQueue({
    publisher: createStoredPublisher(nc),
    deadLetters: createDeadLetterStore(js, jsm, { consumer: "hookswitch" }),
    consumer: "hookswitch",
    onStoreFailed: (stream) => failed.push(stream),
  });
}

/** A cap that never makes anyone wait. */
const unlimited: Slots = { acquire: () => undefined, release: () => undefined };

describe("hookswitch's records when JetStream storage is full", () => {
  it.each([
    ["a retry", DELIVERY_STREAM],
    ["a dead letter", DEAD_LETTER_STREAM],
  ])("fail to store %s naming %s as refusing it, counted once", async (what, stream) => {
    const failed: string[] = [];
    const queue = queueTelling(failed);
    const storing =
      stream === DELIVERY_STREAM
        ? queue.scheduleRetry(record("wh-1"), "wh-1:1", 100)
        : queue.deadLetter(
            unsentDeadLetter(record("wh-2"), "HTTP 400 is not retried", new Date().toISOString()),
            "wh-2:1",
          );
    const error = await storing.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error, what).toBeInstanceOf(StoreFailedError);
    expect(error).toMatchObject({ stream, refused: true });
    expect((error as Error).message).toMatch(/insufficient resources/);
    expect(failed).toEqual([stream]);
  });

  it("hands the events back with a few lines a minute and no stack, not a line each", async () => {
    // The events' stream in memory, as in the operator's set-up: only the records are refused.
    await jsm.streams.add({ name: "EVENTS", subjects: ["ev.>"], storage: StorageType.Memory });
    await jsm.consumers.add("EVENTS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    const events = 20;
    for (let i = 0; i < events; i++) await js.publish("ev.x", String(i));
    const failed: string[] = [];
    const queue = queueTelling(failed);
    const { log, lines } = capturingLogger("info");
    const loop = startConsumerLoop({
      name: "c",
      messages: await pullContinuously(await js.consumers.get("EVENTS", "c"), { messages: 64 }),
      // Each event's delivery to a failing receiver needs a retry record stored.
      handle: async (msg) => {
        await queue.scheduleRetry(record(`wh-${msg.seq}`), `wh-${msg.seq}:1`, 100);
        return { action: "ack" };
      },
      slots: unlimited,
      ackWaitMs: 30_000,
      log,
      storeFailures: createStoreFailureLog(log, { perInterval: 3 }),
    });
    try {
      await waitFor(() => failed.length >= events, {
        timeoutMs: 20_000,
        what: "every event's retry refused",
      });
    } finally {
      await loop.stop();
    }
    const handedBack = lines.filter((l) => String(l.msg).startsWith("message handed back"));
    expect(handedBack).toHaveLength(3);
    for (const line of handedBack) {
      expect(line).toMatchObject({ level: "error", stream: DELIVERY_STREAM, consumer: "c" });
      expect(line).not.toHaveProperty("err");
      expect(line.msg).toMatch(/free space on the NATS server/);
    }
    expect(failed.every((stream) => stream === DELIVERY_STREAM)).toBe(true);
  });

  it("tells of records refused while it stops in the same bounded lines, not one line with a stack each", async () => {
    await jsm.streams.add({ name: "EVENTS2", subjects: ["ev2.>"], storage: StorageType.Memory });
    await jsm.consumers.add("EVENTS2", { durable_name: "c", ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    const events = 5;
    for (let i = 0; i < events; i++) await js.publish("ev2.x", String(i));
    const failed: string[] = [];
    const queue = queueTelling(failed);
    const { log, lines } = capturingLogger("info");
    const storeFailures = createStoreFailureLog(log, { perInterval: 3 });
    let started = 0;
    let release: () => void = () => undefined;
    const stopBegun = new Promise<void>((resolve) => (release = resolve));
    const loop = startConsumerLoop({
      name: "c",
      messages: await pullContinuously(await js.consumers.get("EVENTS2", "c"), { messages: 64 }),
      // Each handler stores its record only once the stop has begun.
      handle: async (msg) => {
        started++;
        await stopBegun;
        await queue.scheduleRetry(record(`wh2-${msg.seq}`), `wh2-${msg.seq}:1`, 100);
        return { action: "ack" };
      },
      slots: unlimited,
      ackWaitMs: 30_000,
      log,
      storeFailures,
    });
    await waitFor(() => started === events, { what: "every handler started" });
    const stopped = loop.stop();
    release();
    await stopped;
    storeFailures.flush(); // as the daemon does once its loops have stopped

    expect(lines.filter((l) => l.msg === "message not finished at stop")).toEqual([]);
    const handedBack = lines.filter((l) => String(l.msg).startsWith("message handed back"));
    expect(handedBack).toHaveLength(3);
    for (const line of handedBack) expect(line).not.toHaveProperty("err");
    expect(lines.filter((l) => "notLogged" in l)).toMatchObject([
      { stream: DELIVERY_STREAM, notLogged: 2 },
    ]);
  });
});
