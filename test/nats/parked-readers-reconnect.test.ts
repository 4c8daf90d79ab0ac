import { jetstream } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { parkedConsumerName } from "../../src/nats/durable-consumers.js";
import { ACK } from "../../src/nats/settle.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { capturingLogger } from "../support/logs.js";
import { acksApplied, useRestartableNats } from "../support/nats-server.js";
import { park, testParkedReaders } from "../support/parked.js";
import { sleep, waitFor } from "../support/wait.js";

describe("parked deliveries read before NATS went down", () => {
  const parts = useRestartableNats("parked-readers-reconnect-test", (nats) =>
    ensureHookswitchStreams(nats.jsm),
  );

  it("are acknowledged at a stop once NATS is back within the grace period, their read ended meanwhile", async () => {
    const { jsm, nc, server } = parts.nats;
    const { link } = parts;
    await park(jetstream(nc), "down", "crm", ["record"]);
    const { log, lines } = capturingLogger();
    const grace = new AbortController();
    let answer = () => undefined as void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let started = 0;
    const readers = testParkedReaders({
      jsm,
      consumer: "down",
      room: () => 1,
      handle: async () => {
        started++;
        await answered;
        return ACK;
      },
      loop: { log, link, grace: grace.signal },
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
