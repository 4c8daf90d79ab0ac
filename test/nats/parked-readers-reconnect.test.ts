import { jetstream } from "@nats-io/jetstream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DELIVERY_STREAM, parkedSubject } from "../../src/nats/layout.js";
import { startConsumerLoop, type Slots } from "../../src/nats/consumer-loop.js";
import { parkedConsumerName } from "../../src/nats/durable-consumers.js";
import { createParkedReaders } from "../../src/nats/parked-readers.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { capturingLogger } from "../support/logs.js";
import { acksApplied, useRestartableNats } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

const silent = pino({ level: "silent" });
/** The global cap, unbounded here. */
const unlimited: Slots = { acquire: () => undefined, release: () => undefined };

describe("parked deliveries read before NATS went down", () => {
  const parts = useRestartableNats("parked-readers-reconnect-test", (nats) =>
    ensureHookswitchStreams(nats.jsm),
  );

  it("are acknowledged at a stop once NATS is back within the grace period, their read ended meanwhile", async () => {
    const { jsm, nc, server } = parts.nats;
    const { link } = parts;
    await jetstream(nc).publish(parkedSubject("down", "crm"), "record");
    const { log, lines } = capturingLogger();
    const grace = new AbortController();
    let answer = () => undefined as void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let started = 0;
    const readers = createParkedReaders({
      js: jetstream(nc),
      jsm,
      consumer: "down",
      ackWaitMs: 30_000,
      room: () => 1,
      run: (integration, messages) =>
        startConsumerLoop({
          name: integration,
          messages,
          handle: async () => {
            started++;
            await answered;
            return { action: "ack" };
          },
          slots: unlimited,
          ackWaitMs: 30_000,
          log,
          link,
          grace: grace.signal,
        }),
      log: silent,
    });
    readers.read("crm");
    await waitFor(() => started === 1, { what: "the parked delivery in progress" });
    await server.stop();
    await waitFor(() => !link.isConnected(), { what: "the connection seen down" });
    answer(); // answered while NATS is down: its ack waits for it
    // The reader's next fetch ends (at its 1 s expiry, or without NATS's heartbeats), and
    // with it the loop: done, its ack still held.
    await sleep(3_000);

    let stopped = false;
    const stopping = readers.stop().then(() => (stopped = true));
    await sleep(300);
    expect(stopped).toBe(false);
    await server.start();
    await stopping;
    const info = await acksApplied(jsm, DELIVERY_STREAM, parkedConsumerName("down", "crm"));
    expect(info).toMatchObject({ num_ack_pending: 0, num_pending: 0 });
    expect(lines.filter((l) => l.level === "warn" && l.unsent !== undefined)).toEqual([]);
    grace.abort();
  }, 40_000);
});
