import { AckPolicy, jetstream, type JetStreamManager } from "@nats-io/jetstream";
import { createInbox, nanos, type NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { holdStalePulls } from "../../src/nats/stale-pulls.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

let nc: NatsConnection;
let jsm: JetStreamManager;

useNatsWithClient("stale-pulls-test", (started) => ({ nc, jsm } = started));

/** A stream and a durable pull consumer "c" on it. */
async function streamWithConsumer(stream: string) {
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  await jsm.consumers.add(stream, {
    durable_name: "c",
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(30_000),
  });
}

/** A pull request for one message answered on `inbox`, as a stopped loop leaves behind. */
function pullRequest(stream: string, inbox: string, expiresMs: number) {
  nc.publish(
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.c`,
    JSON.stringify({ batch: 1, expires: nanos(expiresMs) }),
    { reply: inbox },
  );
}

describe("a stopped loop's pull requests", () => {
  it("are answered: what the server sends them is handed back to come again later", async () => {
    await streamWithConsumer("CAUGHT");
    const inbox = createInbox();
    const hold = holdStalePulls({
      nc,
      inbox,
      expiresAt: Date.now() + 2_000,
      handBackDelayMs: () => 1_500,
      hasMessages: () => Promise.resolve(true),
    });
    await nc.flush();
    pullRequest("CAUGHT", inbox, 2_000);
    await jetstream(nc).publish("CAUGHT.e", "one");
    await waitFor(() => hold.handedBack === 1, { what: "the message handed back" });
    await hold.release();

    const consumer = await jetstream(nc).consumers.get("CAUGHT", "c");
    const back = await consumer.next({ expires: 5_000 });
    expect(back?.string()).toBe("one");
    expect(back?.info.deliveryCount).toBe(2);
    back?.ack();
  }, 15_000);

  it("are waited out when the consumer has messages that may meet them", async () => {
    await streamWithConsumer("WAITED");
    const expiresAt = Date.now() + 600;
    const hold = holdStalePulls({
      nc,
      inbox: createInbox(),
      expiresAt,
      handBackDelayMs: () => 1_000,
      hasMessages: () => Promise.resolve(true),
    });
    await hold.release();
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
  });

  it("are not waited for when the consumer has nothing to send", async () => {
    const expiresAt = Date.now() + 60_000;
    const hold = holdStalePulls({
      nc,
      inbox: createInbox(),
      expiresAt,
      handBackDelayMs: () => 1_000,
      hasMessages: () => Promise.resolve(false),
    });
    await hold.release();
    expect(Date.now()).toBeLessThan(expiresAt);
  });

  it("are not waited for once a stop has given up", async () => {
    const expiresAt = Date.now() + 60_000;
    const givenUp = new AbortController();
    const hold = holdStalePulls({
      nc,
      inbox: createInbox(),
      expiresAt,
      handBackDelayMs: () => 1_000,
      hasMessages: () => Promise.resolve(true),
    });
    const released = hold.release(givenUp.signal);
    await sleep(100);
    givenUp.abort();
    await released;
    expect(Date.now()).toBeLessThan(expiresAt);
  });

  it("are waited out when the consumer's state cannot be read", async () => {
    const expiresAt = Date.now() + 600;
    const hold = holdStalePulls({
      nc,
      inbox: createInbox(),
      expiresAt,
      handBackDelayMs: () => 1_000,
      hasMessages: () => Promise.reject(new Error("consumer not found")),
    });
    await hold.release();
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
  });

  it("leave a request's end alone: the server's timeout is not a message to hand back", async () => {
    await streamWithConsumer("EXPIRED");
    const inbox = createInbox();
    const hold = holdStalePulls({
      nc,
      inbox,
      expiresAt: Date.now() + 800,
      handBackDelayMs: () => 1_000,
      hasMessages: () => Promise.resolve(true),
    });
    const statuses: number[] = [];
    const watch = nc.subscribe(inbox, {
      callback: (_, msg) => void statuses.push(msg.headers?.code ?? 0),
    });
    await nc.flush();
    pullRequest("EXPIRED", inbox, 300);
    await waitFor(() => statuses.length > 0, { what: "the request's timeout" });
    await hold.release();
    watch.unsubscribe();
    expect(statuses).toEqual([408]);
    expect(hold.handedBack).toBe(0);
  });
});
