import {
  jetstream,
  jetstreamManager,
  AckPolicy,
  DiscardPolicy,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeadLetterStore } from "../../src/delivery/dead-letters.js";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { watchMaxDeliveries } from "../../src/nats/advisories.js";
import { ADVISORY_STREAM } from "../../src/nats/advisory-stream.js";
import { StoreFailedError } from "../../src/nats/store-failure.js";
import { capturingLogger } from "../support/logs.js";
import { storeRetried } from "../../src/nats/store-retry.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";
import { listAll } from "../support/dead-letters.js";

const log = pino({ level: process.env.TEST_LOG ?? "silent" });

/** A stream whose consumer `hs` gives a message up after `maxDeliver` deliveries. */
async function streamGivingUp(
  jsm: JetStreamManager,
  name: string,
  subjects: string[],
  maxDeliver: number,
): Promise<void> {
  await jsm.streams.add({ name, subjects });
  await jsm.consumers.add(name, {
    durable_name: "hs",
    ack_policy: AckPolicy.Explicit,
    max_deliver: maxDeliver,
  });
}

/** Publishes an event and refuses it until `hs` gives it up: the server then advises so. */
async function exhaust(
  nc: NatsConnection,
  stream: string,
  subject: string,
  id: string,
  maxDeliver: number,
): Promise<void> {
  const js = jetstream(nc);
  await js.publish(subject, JSON.stringify({ id }));
  const consumer = await js.consumers.get(stream, "hs");
  for (let i = 0; i < maxDeliver; i++) {
    const msg = await consumer.next({ expires: 2_000 });
    expect(msg).not.toBeNull();
    msg!.nak();
  }
  // The server notices the exhausted message when someone asks for more.
  expect(await consumer.next({ expires: 1_000 })).toBeNull();
}

/** The first records `list` finds. */
function firstListed<T>(list: () => Promise<T[]>, what: string, timeoutMs = 10_000) {
  return waitFor(
    async () => {
      const records = await list();
      return records.length > 0 ? records : undefined;
    },
    { timeoutMs, what },
  );
}

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
    await streamGivingUp(jsm, "EV", ["pbx.>"], 2);
    const store = createDeadLetterStore(js, jsm, { consumer: "hookswitch" });
    const deadLetter = (record: Parameters<typeof store.add>[0], msgId: string) =>
      store.add(record, { msgId });
    // Two replicas watch the same advisories.
    const watchers = await Promise.all(
      [1, 2].map(() =>
        watchMaxDeliveries(nc, js, jsm, {
          stream: "EV",
          consumer: "hs",
          replicas: 1,
          deadLetter,
          log,
        }),
      ),
    );
    await nc.flush();
    await exhaust(nc, "EV", "pbx.acme.mycloudpbx.x.user.created", "ev-1", 2);
    const records = await firstListed(() => listAll(store), "the dead letter");
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.count()).toBe(1);
    expect(records[0]).toMatchObject({ integration: null, eventId: "ev-1" });
    expect(records[0]!.reason).toMatch(/gave up after 2 deliveries/);
    for (const w of watchers) w.stop();
  });

  it("dead-letters a message that ran out of deliveries while no replica listened, once one starts", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await ensureHookswitchStreams(jsm);
    await streamGivingUp(jsm, "EV6", ["sixth.>"], 2);
    const store = createDeadLetterStore(js, jsm, { consumer: "hookswitch" });
    const deadLetter = (record: Parameters<typeof store.add>[0], msgId: string) =>
      store.add(record, { msgId });
    const options = { stream: "EV6", consumer: "hs", replicas: 1, deadLetter, log };
    // A replica has run once (its set-up keeps the advisories), and every replica is down.
    (await watchMaxDeliveries(nc, js, jsm, options)).stop();
    await exhaust(nc, "EV6", "sixth.x", "ev-6", 2);
    await new Promise((r) => setTimeout(r, 300));
    const before = (await listAll(store)).filter((r) => r.eventId === "ev-6");
    expect(before).toEqual([]);

    const next = await watchMaxDeliveries(nc, js, jsm, options);
    const records = await waitFor(
      async () => {
        const found = (await listAll(store)).filter((r) => r.eventId === "ev-6");
        return found.length > 0 ? found : undefined;
      },
      { what: "the dead letter of the advisory kept while nobody listened" },
    );
    expect(records).toHaveLength(1);
    expect(records[0]!.reason).toMatch(/gave up after 2 deliveries of stream message 1/);
    next.stop();
  });

  it("keeps the advisories again after their stream was deleted by hand while it watched", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await ensureHookswitchStreams(jsm);
    await streamGivingUp(jsm, "EV8", ["eighth.>"], 2);
    const store = createDeadLetterStore(js, jsm, { consumer: "hookswitch" });
    const watcher = await watchMaxDeliveries(nc, js, jsm, {
      stream: "EV8",
      consumer: "hs",
      replicas: 1,
      deadLetter: (record, msgId) => store.add(record, { msgId }),
      log,
    });
    try {
      await jsm.streams.delete(ADVISORY_STREAM);
      await waitFor(async () => (await jsm.streams.names().next()).includes(ADVISORY_STREAM), {
        timeoutMs: 30_000,
        what: "the advisories' stream set up again",
      });
      await exhaust(nc, "EV8", "eighth.x", "ev-8", 2);
      await waitFor(async () => (await listAll(store)).some((r) => r.eventId === "ev-8"), {
        what: "the dead letter",
      });
    } finally {
      watcher.stop();
    }
  }, 60_000);

  it("stores the dead letter once a deleted dead-letter stream is set up again, given storeRetried and a set-up to call", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await streamGivingUp(jsm, "EV2", ["other.>"], 1);
    await ensureHookswitchStreams(jsm);
    await jsm.streams.delete(DEAD_LETTER_STREAM);
    const store = createDeadLetterStore(js, jsm, { consumer: "hookswitch" });
    const told: number[] = [];
    // The keeper's part: set the streams up again, here after the brief tries are over.
    const missing = () => {
      if (told.push(Date.now()) === 1) setTimeout(() => void ensureHookswitchStreams(jsm), 1_500);
    };
    const deadLetter = (record: Parameters<typeof store.add>[0], msgId: string) =>
      storeRetried(() => store.add(record, { msgId }), { stream: DEAD_LETTER_STREAM, missing });
    const watcher = await watchMaxDeliveries(nc, js, jsm, {
      replicas: 1,
      stream: "EV2",
      consumer: "hs",
      deadLetter,
      log,
    });
    await nc.flush();
    await exhaust(nc, "EV2", "other.x", "ev-2", 1);
    const records = await firstListed(
      () => listAll(store).catch(() => []),
      "the dead letter in the new stream",
      15_000,
    );
    expect(told.length).toBeGreaterThan(0);
    expect(records.map((r) => r.eventId)).toEqual(["ev-2"]);
    watcher.stop();
  });

  it("keeps many rescues trying at once without Node warning of an abort-listener leak", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await jsm.streams.add({ name: "EV4", subjects: ["fourth.>"] });
    const rescues = 15; // more than the 10 listeners Node allows a signal before it warns
    for (let i = 1; i <= rescues; i++) await js.publish("fourth.x", JSON.stringify({ id: i }));
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    const tried = new Set<string>();
    let triesAfterStop = 0;
    let stopped = false;
    // JetStream out of storage: every copy is refused, so every rescue keeps waiting to retry.
    const deadLetter = (_record: unknown, msgId: string) => {
      tried.add(msgId);
      if (stopped) triesAfterStop++;
      return Promise.reject(new Error("insufficient resources"));
    };
    const watcher = await watchMaxDeliveries(nc, js, jsm, {
      replicas: 1,
      stream: "EV4",
      consumer: "hs",
      deadLetter,
      log,
    });
    try {
      await nc.flush();
      // The advisories as the server sends them when messages run out of deliveries.
      for (let seq = 1; seq <= rescues; seq++) {
        nc.publish(
          "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.EV4.hs",
          JSON.stringify({ stream_seq: seq, deliveries: 5 }),
        );
      }
      await waitFor(() => tried.size === rescues, { what: "every rescue tried once" });
      await new Promise((r) => setTimeout(r, 100)); // warnings are emitted on a later tick
      expect(warnings.map((w) => w.name)).toEqual([]);
    } finally {
      watcher.stop();
      stopped = true;
      process.off("warning", onWarning);
    }
    // The stop ends every rescue: none tries again after the 1 s wait.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(triesAfterStop).toBe(0);
  });

  it("tells of a dead letter JetStream did not store by its reason, without a stack", async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "EV5", subjects: ["fifth.>"] });
    await jetstream(nc).publish("fifth.x", JSON.stringify({ id: 1 }));
    const { log: captured, lines } = capturingLogger();
    const refusal = new StoreFailedError(DEAD_LETTER_STREAM, {
      cause: new Error("insufficient resources"),
    });
    let tries = 0;
    const deadLetter = () => {
      tries++;
      return Promise.reject(refusal);
    };
    const watcher = await watchMaxDeliveries(nc, jetstream(nc), jsm, {
      replicas: 1,
      stream: "EV5",
      consumer: "hs",
      deadLetter,
      log: captured,
    });
    try {
      await nc.flush();
      nc.publish(
        "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.EV5.hs",
        JSON.stringify({ stream_seq: 1, deliveries: 5 }),
      );
      const line = await waitFor(
        () => lines.find((l) => String(l.msg).startsWith("could not dead-letter")),
        { what: "the failed rescue's line" },
      );
      expect(tries).toBeGreaterThan(0);
      expect(line).toMatchObject({ level: "error", reason: refusal.message, seq: 1 });
      expect(JSON.stringify(line)).not.toContain("stack");
    } finally {
      watcher.stop();
    }
  });

  it("keeps trying to store the dead letter while the dead-letter stream refuses it, as the consumer never delivers the message again", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await streamGivingUp(jsm, "EV3", ["third.>"], 1);
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
    const store = createDeadLetterStore(js, jsm, { consumer: "hookswitch" });
    const deadLetter = (record: Parameters<typeof store.add>[0], msgId: string) =>
      storeRetried(() => store.add(record, { msgId }), { stream: DEAD_LETTER_STREAM });
    const watcher = await watchMaxDeliveries(nc, js, jsm, {
      replicas: 1,
      stream: "EV3",
      consumer: "hs",
      deadLetter,
      log,
    });
    try {
      await nc.flush();
      await exhaust(nc, "EV3", "third.x", "ev-3", 1);
      // Longer than the brief tries of storeRetried, then there is room again.
      await new Promise((r) => setTimeout(r, 4_000));
      await jsm.streams.update(DEAD_LETTER_STREAM, { ...roomy, max_msgs: -1 });
      const records = await firstListed(
        () => listAll(store, { integration: "_invalid" }),
        "the dead letter once the stream has room",
        15_000,
      );
      expect(records.map((r) => r.eventId)).toEqual(["ev-3"]);
    } finally {
      watcher.stop();
    }
  });
});

describe("watchMaxDeliveries where another stream keeps every advisory", () => {
  it("listens while it runs instead, and says so", async () => {
    const nats = await startNatsServer();
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      // An operator's stream of every advisory: NATS gives a subject to one stream only.
      await jsm.streams.add({ name: "OPS", subjects: ["$JS.EVENT.ADVISORY.>"] });
      await ensureHookswitchStreams(jsm);
      await streamGivingUp(jsm, "EV7", ["seventh.>"], 2);
      const store = createDeadLetterStore(js, jsm, { consumer: "hookswitch" });
      const { log: captured, lines } = capturingLogger();
      const watcher = await watchMaxDeliveries(nc, js, jsm, {
        stream: "EV7",
        consumer: "hs",
        replicas: 1,
        deadLetter: (record, msgId) => store.add(record, { msgId }),
        log: captured,
      });
      expect(lines.map((l) => l.msg)).toContain(
        "another stream captures $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.EV7.hs: hookswitch " +
          "hears an event that runs out of deliveries only while a replica runs",
      );
      await exhaust(nc, "EV7", "seventh.x", "ev-7", 2);
      const records = await firstListed(() => listAll(store), "the dead letter");
      expect(records.map((r) => r.eventId)).toEqual(["ev-7"]);
      watcher.stop();
    } finally {
      await nc.close();
      await nats.dispose();
    }
  });
});
