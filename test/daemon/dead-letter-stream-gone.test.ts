/**
 * HOOKSWITCH_DLQ deleted while no dead letter is on its way: the daemon's periodic count of
 * the dead letters finds it missing and has it set up again, so that the dead letters of
 * events that run out of deliveries (stored from NATS advisories) do not wait on it.
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { deleteInUse, startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { waitFor } from "../support/wait.js";

describe("hookswitch run when its dead-letter stream is deleted and no dead letter comes", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let daemon: RunningDaemon;
  const dir = tempDir();

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger` });
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

  it("sets it up again at its next count (every 15 s), saying it was not found", async () => {
    await deleteInUse(jsm, DEAD_LETTER_STREAM);
    await waitFor(() => jsm.streams.info(DEAD_LETTER_STREAM).then(Boolean, () => false), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: "HOOKSWITCH_DLQ set up again",
    });
    expect(daemon.output()).toMatch(/stream HOOKSWITCH_DLQ not found \(deleted/);
  }, 45_000);
});
