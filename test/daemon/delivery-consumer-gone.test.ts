/**
 * The delivery consumer (retries, parked deliveries) deleted while the daemon runs: no
 * periodic read reports it, only the notices of the iterator reading it (consumers.ts).
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { deliveryConsumerName } from "../../src/nats/durable-consumers.js";
import { DEFAULT_CONSUMER } from "../../src/nats/settings.js";
import { deleteInUse } from "../support/nats-server.js";
import {
  publishEvents,
  readiness,
  startTracked,
  tempDir,
  writeIntegration,
} from "../support/daemon.js";
import { arrivals } from "../support/ledger.js";
import { useRealParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

const CONSUMER = deliveryConsumerName(DEFAULT_CONSUMER);

describe("hookswitch run when its delivery consumer is deleted", () => {
  // Each event's first attempt fails: its retry waits in the delivery stream.
  const parts = useRealParts((req, index) =>
    parts.receiver.requests.findIndex(
      (r) => r.headers["webhook-id"] === req.headers["webhook-id"],
    ) === index
      ? { status: 503 }
      : { status: 200 },
  );

  it("reports not ready naming it, creates it again and sends the retries that wait in it", async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeIntegration(dir.path, "flaky", {
      url: `${parts.receiver.url}/flaky`,
      retry: { maxAttempts: 3, initialDelay: "100ms", maxDelay: "1s" },
    });
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });
    const jsm = await jetstreamManager(parts.publisher.nc);

    await deleteInUse(jsm, DELIVERY_STREAM, CONSUMER);
    const notReady = await waitFor(
      async () => {
        const r = await readiness(daemon);
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: "/readyz 503 after the consumer was deleted" },
    );
    expect(notReady.body).toContain(`consumer ${CONSUMER} on stream ${DELIVERY_STREAM}`);
    await waitFor(async () => (await readiness(daemon)).status === 200, {
      timeoutMs: 20_000,
      what: "ready again",
    });
    await jsm.consumers.info(DELIVERY_STREAM, CONSUMER);

    const events = await publishEvents(parts.nats.url, 2);
    await waitFor(
      () => [...arrivals(parts.receiver.requests).values()].filter((n) => n === 2).length === 2,
      { timeoutMs: 15_000, what: "both events' retries" },
    );
    expect(arrivals(parts.receiver.requests).size).toBe(events.length);
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
