import { AckPolicy, jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { watchConsumerStatus } from "../../src/nats/recovery.js";
import { useNatsWithClient } from "../support/nats-server.js";

let nc: NatsConnection;
let jsm: JetStreamManager;
useNatsWithClient("recovery-test", (started) => ({ nc, jsm } = started));

describe("the watch of a consume() iterator", () => {
  it("tells of the iterator's end, and then waits for no pull from it", async () => {
    await jsm.streams.add({ name: "W", subjects: ["W.>"] });
    await jsm.consumers.add("W", { durable_name: "c", ack_policy: AckPolicy.Explicit });
    const consumer = await jetstream(nc).consumers.get("W", "c");
    const messages = await consumer.consume({ max_messages: 10, expires: 3_000 });
    const watch = watchConsumerStatus(
      messages,
      { stream: "W", consumer: "c" },
      () => undefined,
      pino({ level: "silent" }),
    );
    // The client ends an iterator (and its notifications) only while it is read.
    const reading = (async () => {
      for await (const msg of messages) msg.ack();
    })();
    const waiting = watch.nextPull(15_000);
    await messages.close();
    await reading;
    await watch.ended;
    const started = Date.now();
    await waiting;
    await watch.nextPull(15_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
