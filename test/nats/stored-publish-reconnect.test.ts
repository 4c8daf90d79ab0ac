import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { watchConnection, type ConnectionWatch } from "../../src/nats/connection.js";
import { createStoredPublisher } from "../../src/nats/stored-publish.js";
import { startNatsWithClient, type NatsWithClient } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

const silent = pino({ level: "silent" });

describe("a stored publish while NATS restarts", () => {
  let nats: NatsWithClient;
  let link: ConnectionWatch;

  beforeEach(async () => {
    nats = await startNatsWithClient("stored-publish-reconnect-test");
    link = watchConnection(nats.nc, silent);
    await nats.jsm.streams.add({ name: "PARKED", subjects: ["parked.>"] });
  });
  afterEach(async () => {
    link.stop();
    await nats.nc.close();
    await nats.server.dispose();
  });

  const storedIn = async (stream: string) => (await nats.jsm.streams.info(stream)).state.messages;

  async function natsDown() {
    await nats.server.stop();
    await waitFor(() => !link.isConnected(), { what: "the connection seen down" });
  }

  it("waits for NATS to be back, however long it is away, and is stored once", async () => {
    // A time shorter than the outage: a publish written while NATS is down would be
    // dropped by the client at the reconnect, and time out.
    const publisher = createStoredPublisher(nats.nc, { timeoutMs: 400, link });
    try {
      await natsDown();
      let settled: string | undefined;
      const stored = publisher.publish("parked.a", "record", "park-1").then(
        () => (settled = "stored"),
        (error: Error) => (settled = error.message),
      );
      await sleep(1_000);
      expect(settled).toBeUndefined();
      await nats.server.start();
      await link.connected();
      await stored;
      expect(settled).toBe("stored");
      expect(await storedIn("PARKED")).toBe(1);
    } finally {
      publisher.close();
    }
  }, 30_000);

  it("rejects, when closed, what still waits for NATS", async () => {
    const publisher = createStoredPublisher(nats.nc, { timeoutMs: 60_000, link });
    await natsDown();
    const held = publisher.publish("parked.b", "record", "park-2");
    publisher.close();
    await expect(held).rejects.toThrow(/the publisher closed/);
    await nats.server.start();
    await link.connected();
    await sleep(200);
    expect(await storedIn("PARKED")).toBe(0);
  }, 30_000);

  it("rejects what waits for NATS when the connection closes for good", async () => {
    const publisher = createStoredPublisher(nats.nc, { timeoutMs: 60_000, link });
    await natsDown();
    const held = publisher.publish("parked.c", "record", "park-3");
    await nats.nc.close();
    await expect(held).rejects.toThrow(/the NATS connection closed/);
    // A try after that (a record's store is tried again) fails at once, not held for good.
    await expect(publisher.publish("parked.c", "record", "park-3")).rejects.toThrow(
      /the NATS connection closed/,
    );
  }, 30_000);
});
