import type { JetStreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import type { WaitingCounts } from "../../src/delivery/waiting-counts.js";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { discoverParked } from "../../src/nats/parked-discovery.js";
import { ACK } from "../../src/nats/settle.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { capturingLogger } from "../support/logs.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { park, testParkedReaders } from "../support/parked.js";

let jsm: JetStreamManager;

useNatsWithClient("parked-discovery-test", async (started) => {
  ({ jsm } = started);
  await ensureHookswitchStreams(jsm);
});

/** Parked readers of deployment `consumer` that acknowledge what they read. */
const readersFor = (consumer: string) =>
  testParkedReaders({ jsm, consumer, room: () => 1, handle: () => Promise.resolve(ACK) });

/** One look for parked deliveries, with what it told. */
async function lookOnce(consumer: string, paused = false) {
  const readers = readersFor(consumer);
  const { log, lines } = capturingLogger("debug");
  const lost: string[] = [];
  const found: Map<string, WaitingCounts>[] = [];
  const discovery = discoverParked({
    parked: () => readers,
    paused: () => paused,
    lost: (what) => lost.push(what),
    found: (waiting) => found.push(waiting),
    log,
    intervalMs: 60_000,
  });
  await discovery.start();
  discovery.stop();
  await readers.stop();
  return { lost, found, lines };
}

describe("a look for parked deliveries", () => {
  it("tells what waits, by integration", async () => {
    await park(jsm.jetstream(), "look", "crm", ["record"]);
    const { lost, found } = await lookOnce("look");
    expect(lost).toEqual([]);
    expect(found.map((waiting) => Object.fromEntries(waiting))).toEqual([
      { crm: { retry: 0, parked: 1 } },
    ]);
  });

  it("is not made while paused (JetStream set up again, or NATS away)", async () => {
    const { lost, found, lines } = await lookOnce("paused", true);
    expect({ lost, found, lines }).toEqual({ lost: [], found: [], lines: [] });
  });

  it("says the deliveries stream is lost when it is missing, without a warning", async () => {
    await jsm.streams.delete(DELIVERY_STREAM);
    try {
      const { lost, found, lines } = await lookOnce("missing");
      expect(lost).toEqual([`stream ${DELIVERY_STREAM} not found`]);
      expect(found).toEqual([]);
      expect(lines.map((line) => line.level)).toEqual(["debug"]); // one debug line, no warning
    } finally {
      await ensureHookswitchStreams(jsm);
    }
  });
});
