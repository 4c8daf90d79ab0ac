import { describe, expect, it } from "vitest";
import { createStoredPublisher } from "../../src/nats/stored-publish.js";
import { useRestartableNats } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

describe("a stored publish while NATS restarts", () => {
  const parts = useRestartableNats("stored-publish-reconnect-test", (nats) =>
    nats.jsm.streams.add({ name: "PARKED", subjects: ["parked.>"] }),
  );

  const storedIn = async (stream: string) =>
    (await parts.nats.jsm.streams.info(stream)).state.messages;

  async function natsDown() {
    await parts.nats.server.stop();
    await waitFor(() => !parts.link.isConnected(), { what: "the connection seen down" });
  }

  it("waits for NATS to be back, however long it is away, and is stored once", async () => {
    const { nats, link } = parts;
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
      expect(publisher.held).toBe(1);
      await nats.server.start();
      await link.connected();
      await stored;
      expect(settled).toBe("stored");
      expect(publisher.held).toBe(0);
      expect(await storedIn("PARKED")).toBe(1);
    } finally {
      publisher.close();
    }
  }, 30_000);

  it("rejects, when closed, what still waits for NATS", async () => {
    const { nats, link } = parts;
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
    const { nats, link } = parts;
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
