import { jetstream, jetstreamManager, AckPolicy, DiscardPolicy } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeadLetterStore } from "../../src/delivery/dead-letters.js";
import { DEAD_LETTER_STREAM } from "../../src/delivery/records.js";
import { watchMaxDeliveries } from "../../src/nats/advisories.js";
import { storeRetried } from "../../src/nats/store-retry.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";

describe("watchMaxDeliveries", () => {
  let nats: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc.close();
    await nats.dispose();
  });

  it("copies a message that ran out of deliveries to the dead-letter queue, once", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await ensureHookswitchStreams(jsm);
    await jsm.streams.add({ name: "EV", subjects: ["pbx.>"] });
    await jsm.consumers.add("EV", {
      durable_name: "hs",
      ack_policy: AckPolicy.Explicit,
      max_deliver: 2,
    });
    const store = createDeadLetterStore(js, jsm);
    const log = pino({ level: process.env.TEST_LOG ?? "silent" });
    const deadLetter = (record: Parameters<typeof store.add>[0], msgId: string) =>
      store.add(record, { msgId });
    // Two replicas watch the same advisories.
    const watchers = [1, 2].map(() =>
      watchMaxDeliveries(nc, jsm, { stream: "EV", consumer: "hs", deadLetter, log }),
    );
    await nc.flush();
    await js.publish("pbx.acme.mycloudpbx.x.user.created", JSON.stringify({ id: "ev-1" }));
    const consumer = await js.consumers.get("EV", "hs");
    for (let i = 0; i < 2; i++) {
      const msg = await consumer.next({ expires: 2_000 });
      expect(msg).not.toBeNull();
      msg!.nak();
    }
    // The server notices the exhausted message when someone asks for more.
    expect(await consumer.next({ expires: 1_000 })).toBeNull();
    const records = await waitFor(
      async () => {
        const list = await store.list();
        return list.length > 0 ? list : undefined;
      },
      { what: "the dead letter" },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.count()).toBe(1);
    expect(records[0]).toMatchObject({ integration: null, eventId: "ev-1" });
    expect(records[0]!.reason).toMatch(/gave up after 2 deliveries/);
    for (const w of watchers) w.stop();
  });

  it("stores the dead letter once a deleted dead-letter stream is set up again, given storeRetried and a set-up to call", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await jsm.streams.add({ name: "EV2", subjects: ["other.>"] });
    await jsm.consumers.add("EV2", {
      durable_name: "hs",
      ack_policy: AckPolicy.Explicit,
      max_deliver: 1,
    });
    await ensureHookswitchStreams(jsm);
    await jsm.streams.delete(DEAD_LETTER_STREAM);
    const store = createDeadLetterStore(js, jsm);
    const told: number[] = [];
    // The keeper's part: set the streams up again, here after the brief tries are over.
    const missing = () => {
      if (told.push(Date.now()) === 1) setTimeout(() => void ensureHookswitchStreams(jsm), 1_500);
    };
    const deadLetter = (record: Parameters<typeof store.add>[0], msgId: string) =>
      storeRetried(() => store.add(record, { msgId }), missing);
    const log = pino({ level: process.env.TEST_LOG ?? "silent" });
    const watcher = watchMaxDeliveries(nc, jsm, { stream: "EV2", consumer: "hs", deadLetter, log });
    await nc.flush();
    await js.publish("other.x", JSON.stringify({ id: "ev-2" }));
    const consumer = await js.consumers.get("EV2", "hs");
    (await consumer.next({ expires: 2_000 }))!.nak();
    expect(await consumer.next({ expires: 1_000 })).toBeNull();
    const records = await waitFor(
      async () => {
        const list = await store.list().catch(() => []);
        return list.length > 0 ? list : undefined;
      },
      { timeoutMs: 15_000, what: "the dead letter in the new stream" },
    );
    expect(told.length).toBeGreaterThan(0);
    expect(records.map((r) => r.eventId)).toEqual(["ev-2"]);
    watcher.stop();
  });

  it("keeps trying to store the dead letter while the dead-letter stream refuses it, as the consumer never delivers the message again", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await jsm.streams.add({ name: "EV3", subjects: ["third.>"] });
    await jsm.consumers.add("EV3", {
      durable_name: "hs",
      ack_policy: AckPolicy.Explicit,
      max_deliver: 1,
    });
    await ensureHookswitchStreams(jsm);
    await jsm.streams.purge(DEAD_LETTER_STREAM);
    // Out of room (as JetStream is when its storage is full): the stream refuses new records.
    const roomy = (await jsm.streams.info(DEAD_LETTER_STREAM)).config;
    await jsm.streams.update(DEAD_LETTER_STREAM, {
      ...roomy,
      max_msgs: 1,
      discard: DiscardPolicy.New,
    });
    await js.publish("hookswitch.dlq.filler", "{}");
    const store = createDeadLetterStore(js, jsm);
    const deadLetter = (record: Parameters<typeof store.add>[0], msgId: string) =>
      storeRetried(() => store.add(record, { msgId }));
    const log = pino({ level: process.env.TEST_LOG ?? "silent" });
    const watcher = watchMaxDeliveries(nc, jsm, { stream: "EV3", consumer: "hs", deadLetter, log });
    try {
      await nc.flush();
      await js.publish("third.x", JSON.stringify({ id: "ev-3" }));
      const consumer = await js.consumers.get("EV3", "hs");
      (await consumer.next({ expires: 2_000 }))!.nak();
      expect(await consumer.next({ expires: 1_000 })).toBeNull();
      // Longer than the brief tries of storeRetried, then there is room again.
      await new Promise((r) => setTimeout(r, 4_000));
      await jsm.streams.update(DEAD_LETTER_STREAM, { ...roomy, max_msgs: -1 });
      const records = await waitFor(
        async () => {
          const list = await store.list({ integration: "_invalid" });
          return list.length > 0 ? list : undefined;
        },
        { timeoutMs: 15_000, what: "the dead letter once the stream has room" },
      );
      expect(records.map((r) => r.eventId)).toEqual(["ev-3"]);
    } finally {
      watcher.stop();
    }
  });
});
