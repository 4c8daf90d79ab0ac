import { jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printReport, sampleProcesses } from "../support/ledger.js";
import { startNatsCluster, type NatsCluster } from "../support/nats-cluster.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { tempDir, writeIntegration } from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";
import { DaemonPool, publishBacklog, settle, steadyPublisher } from "./scenario.js";

const INTEGRATIONS = ["ledger"];

/**
 * hookswitch creates its streams with one replica and has no flag for more; operators who
 * want R3 create them first (hookswitch keeps an existing stream's replicas).
 */
async function createStreamsAtR3(urls: string): Promise<void> {
  const nc = await connect({ servers: urls.split(",") });
  try {
    // Right after the cluster starts there is no meta leader yet: JetStream does not answer.
    const jsm = await waitFor(
      () => jetstreamManager(nc, { timeout: 2_000 }).catch(() => undefined),
      { timeoutMs: 45_000, intervalMs: 500, what: "JetStream meta leader" },
    );
    const streams = [
      { name: "PBX_EVENTS", subjects: ["pbx.>"], retention: RetentionPolicy.Limits },
      {
        name: "HOOKSWITCH_DELIVERIES",
        subjects: ["hookswitch.deliveries.>"],
        retention: RetentionPolicy.Workqueue,
        duplicate_window: nanos(120_000),
      },
      { name: "HOOKSWITCH_DLQ", subjects: ["hookswitch.dlq.>"], retention: RetentionPolicy.Limits },
    ];
    for (const stream of streams) {
      await waitFor(
        () =>
          jsm.streams.add({ ...stream, storage: StorageType.File, num_replicas: 3 }).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 30_000, intervalMs: 500, what: `stream ${stream.name} at R3` },
      );
    }
  } finally {
    await nc.close();
  }
}

async function streamLeader(urls: string, stream: string): Promise<string | undefined> {
  const nc = await connect({ servers: urls.split(",") });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(stream)).cluster?.leader;
  } finally {
    await nc.close();
  }
}

describe("a three-node NATS cluster with R3 streams", () => {
  let cluster: NatsCluster;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  const pool = new DaemonPool();

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    await createStreamsAtR3(cluster.urls);
    receiver = await startReceiver(() => ({ status: 200, delayMs: 10 }));
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger`, maxInFlight: 32 });
  }, 90_000);
  afterAll(async () => {
    await pool.killAll();
    await receiver?.close();
    await cluster?.dispose();
    dir?.cleanup();
  });

  it("loses nothing when the event stream's leader node is killed while events flow", async () => {
    const args = ["--no-create-stream"];
    await Promise.all([
      pool.start({ natsUrl: cluster.urls, dir: dir.path, args }),
      pool.start({ natsUrl: cluster.urls, dir: dir.path, args }),
    ]);
    const sampler = sampleProcesses(() => pool.pids());
    const backlog = await publishBacklog(cluster.urls, 2_000, INTEGRATIONS);
    const steady = await steadyPublisher(cluster.urls, 5, INTEGRATIONS);
    await waitFor(() => receiver.requests.length >= 500, {
      timeoutMs: 30_000,
      what: "500 arrivals",
    });

    const leader = await streamLeader(cluster.urls, "PBX_EVENTS");
    const victim = cluster.nodes.find((n) => n.name === leader) ?? cluster.nodes[0]!;
    await victim.kill();
    await sleep(10_000);
    await steady.stop();
    const events = [...backlog, ...steady.published];
    const report = await settle(
      () => events,
      () => receiver.requests,
      { timeoutMs: 90_000, maxRssMb: () => sampler.maxRssMb() },
    );
    sampler.stop();
    printReport(
      "3-node cluster, R3, leader killed",
      report,
      `killed=${victim.name} publishFailures=${steady.failures}`,
    );
    expect(pool.pids()).toHaveLength(2);
    expect(report.lost, `lost e.g. ${report.lostSample.join(", ")}`).toBe(0);
  }, 180_000);
});
