import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { createDeadLetterStore } from "../../src/delivery/dead-letters.js";
import type { DurableQueue } from "../../src/delivery/job.js";
import { createDurableQueue } from "../../src/delivery/durable-queue.js";
import { type DeliveryRecord, unsentDeadLetter } from "../../src/delivery/records.js";
import {
  DEAD_LETTER_STREAM,
  DELIVERY_STREAM,
  deliverySubject,
  NOT_BEFORE_HEADER,
  parkedSubject,
} from "../../src/nats/layout.js";
import { createStoredPublisher } from "../../src/nats/stored-publish.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

let nc: NatsConnection;
let jsm: JetStreamManager;

useNatsWithClient("durable-queue-test", (started) => ({ nc, jsm } = started));

afterEach(async () => {
  for (const name of [DELIVERY_STREAM, DEAD_LETTER_STREAM]) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
});

function queueOf(
  consumer: string,
  onParked?: (integration: string) => void,
  onStreamMissing?: (stream: string) => void,
): DurableQueue {
  const js = jetstream(nc);
  return createDurableQueue({
    publisher: createStoredPublisher(nc),
    deadLetters: createDeadLetterStore(js, jsm, { consumer }),
    consumer,
    onParked,
    onStreamMissing,
  });
}

function record(webhookId: string): DeliveryRecord {
  return { v: 1, webhookId, integration: "crm", event: { id: "e1" }, attempts: [] };
}

async function storedCount(): Promise<number> {
  return (await jsm.streams.info(DELIVERY_STREAM)).state.messages;
}

describe("the durable queue", () => {
  it.each([
    ["a retry", "scheduleRetry", deliverySubject],
    ["a parked first attempt", "park", parkedSubject],
  ] as const)(
    "stores %s under its deployment's subject, once per message id",
    async (_what, method, subjectOf) => {
      await ensureHookswitchStreams(jsm);
      const queue = queueOf("deploy-a");
      await queue[method](record("wh-1"), "wh-1:0", 100);
      await queue[method](record("wh-1"), "wh-1:0", 100); // a republish after a crash

      const stored = await jsm.streams.getMessage(DELIVERY_STREAM, {
        last_by_subj: subjectOf("deploy-a", "crm"),
      });
      expect(stored?.json<DeliveryRecord>()).toEqual(record("wh-1"));
      expect(stored?.header.get("Nats-Msg-Id")).toBe("deploy-a:wh-1:0");
      expect(await storedCount()).toBe(1);
    },
  );

  it("names the integration of each parked delivery once it is stored", async () => {
    await ensureHookswitchStreams(jsm);
    const told: { integration: string; stored: number }[] = [];
    const queue = queueOf("deploy-a", (integration) => {
      void storedCount().then((stored) => told.push({ integration, stored }));
    });
    await queue.park(record("wh-p"), "wh-p:0", 100);
    await queue.park(record("wh-p"), "wh-p:1", 100);
    // Each is told once its count is read back: wait for both, not for a fixed 100 ms.
    await waitFor(() => told.length === 2, { what: "both parked deliveries told" });
    expect(told.map((t) => t.integration)).toEqual(["crm", "crm"]);
    expect(told.every((t) => t.stored >= 1)).toBe(true);
  });

  it("repeats a retry's time in a header, so an early record is handed back unread", async () => {
    await ensureHookswitchStreams(jsm);
    const queue = queueOf("deploy-a");
    const retry = { ...record("wh-r"), notBefore: "2026-11-29T01:30:00.000Z" };
    await queue.scheduleRetry(retry, "wh-r:1", 100);
    const stored = await jsm.streams.getMessage(DELIVERY_STREAM, {
      last_by_subj: deliverySubject("deploy-a", "crm"),
    });
    expect(stored?.header.get(NOT_BEFORE_HEADER)).toBe("2026-11-29T01:30:00.000Z");
    expect(stored?.json<DeliveryRecord>()).toEqual(retry);

    await queue.scheduleRetry(record("wh-h"), "wh-h:0", 100); // no delay: due at once
    const dueNow = await jsm.streams.getMessage(DELIVERY_STREAM, {
      last_by_subj: deliverySubject("deploy-a", "crm"),
    });
    expect(dueNow?.header.has(NOT_BEFORE_HEADER)).toBe(false);
  });

  it("keeps the same delivery of two deployments apart", async () => {
    await ensureHookswitchStreams(jsm);
    await queueOf("deploy-a").scheduleRetry(record("wh-1"), "wh-1:0", 100);
    await queueOf("deploy-b").scheduleRetry(record("wh-1"), "wh-1:0", 100);
    expect(await storedCount()).toBe(2);
  });

  it("dead-letters a delivery once per deployment, however often it was attempted again", async () => {
    await ensureHookswitchStreams(jsm);
    const letter = (at: string) => ({
      ...unsentDeadLetter(record("wh-5"), "HTTP 410", at),
      attempts: [{ at, status: 410 }],
      lastAttemptAt: at,
    });
    const a = queueOf("deploy-a");
    await a.deadLetter(letter("2026-11-30T18:00:00.000Z"));
    // Its event came back after a NATS restart and was attempted again.
    await a.deadLetter(letter("2026-11-30T18:00:30.000Z"));
    await queueOf("deploy-b").deadLetter(letter("2026-11-30T18:00:01.000Z"));
    const stored = (await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages;
    expect(stored).toBe(2);
  });

  it("tries a failed publish again, so a stream that comes back in time loses nothing", async () => {
    const queue = queueOf("deploy-a");
    // No stream yet: the first tries find no responder.
    const stored = queue.scheduleRetry(record("wh-2"), "wh-2:0", 100);
    await sleep(100);
    await ensureHookswitchStreams(jsm);
    await stored;
    expect(await storedCount()).toBe(1);
  });

  it("stores every record started in one turn, each settled on its own", async () => {
    await ensureHookswitchStreams(jsm);
    const queue = queueOf("deploy-a");
    const ids = Array.from({ length: 200 }, (_, i) => `wh-${i}`);
    await Promise.all(ids.map((id) => queue.scheduleRetry(record(id), `${id}:0`, 100)));
    expect(await storedCount()).toBe(200);
    const last = await jsm.streams.getMessage(DELIVERY_STREAM, {
      last_by_subj: deliverySubject("deploy-a", "crm"),
    });
    expect(last?.json<DeliveryRecord>().webhookId).toBe("wh-199");
  });

  it("stores no more records at once than its bytes allow, and every one in the end", async () => {
    await ensureHookswitchStreams(jsm);
    const publisher = createStoredPublisher(nc);
    let storing = 0;
    let most = 0;
    const queue = createDurableQueue({
      publisher: {
        async publish(...args) {
          most = Math.max(most, ++storing);
          try {
            await publisher.publish(...args);
          } finally {
            storing--;
          }
        },
        close: () => publisher.close(),
        get held() {
          return publisher.held;
        },
      },
      deadLetters: createDeadLetterStore(jetstream(nc), jsm, { consumer: "deploy-a" }),
      consumer: "deploy-a",
      storingBytes: 1_000,
    });
    // Twenty parks of a slow integration's events of 300 bytes, all in one turn.
    const ids = Array.from({ length: 20 }, (_, i) => `wh-${i}`);
    await Promise.all(ids.map((id) => queue.park(record(id), `${id}:0`, 300)));
    expect(most).toBe(3);
    expect(await storedCount()).toBe(20);
  });

  it("settles each record of a turn on its own: one that fails leaves the others stored", async () => {
    await ensureHookswitchStreams(jsm);
    const good = queueOf("deploy-a").scheduleRetry(record("wh-a"), "wh-a:0", 100);
    // A deployment name that is no valid subject token: its publish can never succeed.
    const bad = queueOf("deploy a").scheduleRetry(record("wh-b"), "wh-b:0", 100);
    await expect(bad).rejects.toThrow();
    await good;
    expect(await storedCount()).toBe(1);
  });

  it.each([
    [
      "a retry",
      DELIVERY_STREAM,
      (queue: DurableQueue) => queue.scheduleRetry(record("wh-4"), "wh-4:0", 100),
    ],
    [
      "a dead letter",
      DEAD_LETTER_STREAM,
      (queue: DurableQueue) =>
        queue.deadLetter(unsentDeadLetter(record("wh-4"), "HTTP 410", new Date().toISOString())),
    ],
  ] as const)(
    "names a missing stream for %s and waits for it to be set up again",
    async (_what, stream, hand) => {
      const told: string[] = [];
      // Set up well after the brief tries (about 0.6 s) would have given up.
      const setUp = () => setTimeout(() => void ensureHookswitchStreams(jsm), 1_500);
      const queue = queueOf("deploy-a", undefined, (missing) => {
        if (told.push(missing) === 1) setUp();
      });
      await hand(queue);
      expect(told[0]).toBe(stream);
      expect((await jsm.streams.info(stream)).state.messages).toBe(1);
    },
  );

  it("gives up after a few tries, so the caller hands the message back to NATS", async () => {
    const started = Date.now();
    await expect(
      queueOf("deploy-a").scheduleRetry(record("wh-3"), "wh-3:0", 100),
    ).rejects.toThrow();
    // Four tries with back-off in between: bounded, well under the consumer's ack wait.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
