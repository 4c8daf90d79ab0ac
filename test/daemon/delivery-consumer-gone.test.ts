/**
 * The delivery consumer (retries, parked deliveries) deleted while the daemon runs: no
 * periodic read reports it, only the notices of the iterator reading it (consumers.ts).
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { deliveryConsumerName } from "../../src/nats/durable-consumers.js";
import { DEFAULT_CONSUMER } from "../../src/nats/settings.js";
import { deleteInUse, startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  publishEvents,
  readiness,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { arrivals } from "../support/ledger.js";
import { waitFor } from "../support/wait.js";

const CONSUMER = deliveryConsumerName(DEFAULT_CONSUMER);

describe("hookswitch run when its delivery consumer is deleted", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let daemon: RunningDaemon;
  const dir = tempDir();

  beforeAll(async () => {
    nats = await startNatsServer();
    // Each event's first attempt fails: its retry waits in the delivery stream.
    receiver = await startReceiver((req, index) =>
      receiver.requests.findIndex((r) => r.headers["webhook-id"] === req.headers["webhook-id"]) ===
      index
        ? { status: 503 }
        : { status: 200 },
    );
    writeIntegration(dir.path, "flaky", {
      url: `${receiver.url}/flaky`,
      retry: { maxAttempts: 3, initialDelay: "100ms", maxDelay: "1s" },
    });
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
  });
  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => nc.close(),
      () => receiver.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("reports not ready naming it, creates it again and sends the retries that wait in it", async () => {
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

    const events = await publishEvents(nats.url, 2);
    await waitFor(
      () => [...arrivals(receiver.requests).values()].filter((n) => n === 2).length === 2,
      { timeoutMs: 15_000, what: "both events' retries" },
    );
    expect(arrivals(receiver.requests).size).toBe(events.length);
  }, 60_000);
});
