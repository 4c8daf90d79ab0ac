import { AckPolicy, jetstream, type JetStreamManager } from "@nats-io/jetstream";
import {
  connect,
  createInbox,
  nanos,
  type Msg,
  type NatsConnection,
} from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { clearStalePulls } from "../../src/nats/stale-pulls.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { sleep } from "../support/wait.js";

let nc: NatsConnection;
let jsm: JetStreamManager;
let url: string;

useNatsWithClient("stale-pulls-test", (started) => {
  ({ nc, jsm } = started);
  url = started.server.url;
});

/** A stream and a durable pull consumer "c" on it, with a 30 s ack wait. */
async function streamWithConsumer(stream: string) {
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  await jsm.consumers.add(stream, {
    durable_name: "c",
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(30_000),
  });
}

/** A pull request answered on `inbox`, as a consumer loop sends them. */
function pullRequest(stream: string, inbox: string, batch: number, expiresMs: number) {
  nc.publish(
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.c`,
    JSON.stringify({ batch, expires: nanos(expiresMs) }),
    { reply: inbox },
  );
}

/** The next message the consumer hands a new pull, within `expiresMs`. */
async function nextOf(stream: string, expiresMs: number) {
  const consumer = await jetstream(nc).consumers.get(stream, "c");
  return consumer.next({ expires: expiresMs });
}

describe("clearing a stopped loop's pull requests", () => {
  it("leaves none for a retry coming due: it comes back once, not after the ack wait", async () => {
    await streamWithConsumer("DUE");
    const js = jetstream(nc);
    await js.publish("DUE.e", "one");
    await js.publish("DUE.e", "two");
    // A loop's pull of ten gets both; it acks "two" and hands "one" back for 500 ms, then stops.
    const inbox = createInbox();
    const got: Msg[] = [];
    const sub = nc.subscribe(inbox, { callback: (_, msg) => void got.push(msg) });
    pullRequest("DUE", inbox, 10, 3_000);
    for (let i = 0; i < 40 && got.length < 2; i++) await sleep(25);
    const [one, two] = got;
    one!.respond(`-NAK ${JSON.stringify({ delay: nanos(500) })}`);
    two!.respond("+ACK");
    await sub.drain();

    await clearStalePulls({ nc, inbox, stream: "DUE", consumer: "c" });
    await sleep(1_000); // "one" came due meanwhile: with the stale request, it was kept
    const back = await nextOf("DUE", 2_000);
    expect(back?.string()).toBe("one");
    expect(back?.info.deliveryCount).toBe(2);
    back?.ack();
    const again = await nextOf("DUE", 1_000);
    expect(again, "nothing delivered again as new").toBeNull();
  }, 15_000);

  it("hands back at once the message its own request gets", async () => {
    await streamWithConsumer("WAITING");
    await jetstream(nc).publish("WAITING.e", "waiting");
    const cleared = await clearStalePulls({
      nc,
      inbox: createInbox(),
      stream: "WAITING",
      consumer: "c",
    });
    expect(cleared, "a message sent to it: the requests before it are gone").toBe(true);
    const back = await nextOf("WAITING", 2_000);
    expect(back?.string()).toBe("waiting");
    expect(back?.info.deliveryCount).toBe(2);
    back?.ack();
  });

  it("ends once the server answers that nothing came", async () => {
    await streamWithConsumer("EMPTY");
    const started = Date.now();
    const cleared = await clearStalePulls({
      nc,
      inbox: createInbox(),
      stream: "EMPTY",
      consumer: "c",
    });
    expect(cleared, "the server's 408 at the expiry").toBe(true);
    // Answered at the request's 100 ms expiry, well before the 1 s it waits at most.
    expect(Date.now() - started).toBeLessThan(900);
    const info = await jsm.consumers.info("EMPTY", "c");
    expect(info.num_waiting).toBe(0);
  });

  it("says nothing is cleared when the server refuses the request", async () => {
    // A push consumer: the server answers 409 without looking at any waiting request.
    await jsm.streams.add({ name: "PUSH", subjects: ["PUSH.>"] });
    await jsm.consumers.add("PUSH", {
      durable_name: "c",
      ack_policy: AckPolicy.Explicit,
      deliver_subject: createInbox(),
    });
    const cleared = await clearStalePulls({
      nc,
      inbox: createInbox(),
      stream: "PUSH",
      consumer: "c",
    });
    expect(cleared).toBe(false);
  });

  it("says nothing is cleared, without throwing, when the connection has closed already", async () => {
    await streamWithConsumer("CLOSED");
    // A stop after NATS closed the connection for good: its requests went with it.
    const closed = await connect({ servers: url });
    await closed.close();
    const cleared = await clearStalePulls({
      nc: closed,
      inbox: createInbox(),
      stream: "CLOSED",
      consumer: "c",
    });
    expect(cleared).toBe(false);
  });
});
