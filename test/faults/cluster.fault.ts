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

/** Whether each stream, asked through `url`, has a leader and every replica current. */
async function streamsCurrent(url: string): Promise<boolean> {
  const nc = await connect({ servers: url, timeout: 2_000 }).catch(() => undefined);
  if (!nc) return false;
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000 });
    for (const name of ["PBX_EVENTS", "HOOKSWITCH_DELIVERIES", "HOOKSWITCH_DLQ"]) {
      const { cluster } = await jsm.streams.info(name);
      const replicas = cluster?.replicas ?? [];
      if (!cluster?.leader || replicas.length < 2 || !replicas.every((r) => r.current)) {
        return false;
      }
    }
    return true;
  } catch {
    return false;
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

  // First: the test after it kills a node for good.
  it("moves to another node when the node a daemon is connected to hangs, and loses nothing", async () => {
    const daemon = await pool.start({
      natsUrl: cluster.urls,
      dir: dir.path,
      args: ["--no-create-stream"],
    });
    const port = /"server":"[^"]*:(\d+)","msg":"connected to NATS"/.exec(daemon.output())?.[1];
    const victim = cluster.nodes.find((n) => String(n.port) === port);
    expect(victim, `the node of port ${port}`).toBeDefined();
    const others = cluster.nodes.filter((n) => n !== victim).map((n) => n.url);
    // Published through the other nodes: a publisher on the hung node would hang with it.
    const steady = await steadyPublisher(others.join(","), 50, INTEGRATIONS);
    await waitFor(() => receiver.requests.length >= 20, { what: "20 arrivals" });
    const pid = victim!.pid()!;
    process.kill(pid, "SIGSTOP");
    try {
      const frozenAt = receiver.requests.length;
      // Noticed within 30 s (unanswered pings), then consuming through another node.
      await waitFor(() => receiver.requests.length >= frozenAt + 50, {
        timeoutMs: 60_000,
        what: "deliveries while the node hangs",
      });
      expect((await fetch(`${daemon.http}/readyz`)).status).toBe(200);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await steady.stop();
    const report = await settle(
      () => steady.published,
      () => receiver.requests,
      { timeoutMs: 60_000 },
    );
    printReport("3-node cluster, R3, connected node hung", report, `hung=${victim!.name}`);
    expect(report.lost, `lost e.g. ${report.lostSample.join(", ")}`).toBe(0);
    expect(daemon.output()).toMatch(/stopped answering pings/);
    await pool.killAll();
    receiver.requests.length = 0;
    // The thawed node catches up before the next test takes one away.
    await waitFor(() => streamsCurrent(victim!.url), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: "the streams current on every node again",
    });
  }, 240_000);

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
