/**
 * An operator editing the shared durable consumer while the daemon runs: the change is
 * logged once, naming each field, and hookswitch's settings are put back.
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_CONSUMER, DEFAULT_STREAM } from "../../src/nats/settings.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  connectPublisher,
  killLeftOver,
  makeEvent,
  startTracked,
  tempDir,
  webhookIds,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

async function publish(natsUrl: string, count: number): Promise<void> {
  const publisher = await connectPublisher(natsUrl);
  try {
    for (let i = 0; i < count; i++) await publisher.publish(makeEvent());
  } finally {
    await publisher.close();
  }
}

describe("hookswitch run when an operator edits its consumer", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger` });
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await nc.close();
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  it("logs the changed filter and ack wait once, puts its settings back and delivers again", async () => {
    // The test daemon runs with --ack-wait 3s and no filter (its stream carries only pbx.>).
    const d = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    await publish(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 5, { what: "the first events" });

    await jsm.consumers.update(DEFAULT_STREAM, DEFAULT_CONSUMER, {
      filter_subject: "pbx.nothing.>",
      ack_wait: nanos(2_000),
    });
    await waitFor(
      async () => {
        const { config } = await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER);
        return !config.filter_subject && config.ack_wait === nanos(3_000);
      },
      { timeoutMs: 15_000, intervalMs: 200, what: "the consumer's settings put back" },
    );
    const warning =
      /"level":"warn".*consumer hookswitch on stream PBX_EVENTS was changed outside hookswitch: ack_wait 2s → 3s, filter_subject pbx.nothing.> → \(none\); putting hookswitch's settings back/;
    expect(d.output()).toMatch(warning);

    // Once per change: the readings after the restore (every 5 s) say nothing more.
    await sleep(6_000);
    expect(d.output().match(/was changed outside hookswitch/g)).toHaveLength(1);
    await publish(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 10, {
      timeoutMs: 15_000,
      what: "the events published after the restore",
    });
    expect(await (await fetch(`${d.http}/readyz`)).text()).toMatch(/ready/);
  }, 60_000);
});
