import { jetstream, jetstreamManager, AckPolicy } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeadLetterStore } from "../../src/delivery/dead-letters.js";
import { watchMaxDeliveries } from "../../src/nats/advisories.js";
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
});
