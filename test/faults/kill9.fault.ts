import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcile, printReport, sampleProcesses } from "../support/ledger.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { tempDir, writeIntegration } from "../support/daemon.js";
import { waitFor } from "../support/wait.js";
import { DaemonPool, publishBacklog, seedFromEnv, seededRandom, settle } from "./scenario.js";

const BACKLOG = 10_000;
const KILLS = 4;
const INTEGRATIONS = ["ledger-a", "ledger-b"];

describe("kill -9 of the daemon during a 10,000-event backlog", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  const pool = new DaemonPool();

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    for (const name of INTEGRATIONS) {
      writeIntegration(dir.path, name, { url: `${receiver.url}/${name}`, maxInFlight: 64 });
    }
  });
  afterAll(async () => {
    await pool.killAll();
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  it("loses nothing after four kills at random moments and a clean run", async () => {
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    console.log(`[fault] kill -9 seed=${seed} (rerun with FAULT_SEED=${seed})`);
    const sampler = sampleProcesses(() => pool.pids());
    try {
      // First run creates the stream and the durable consumer, then the backlog piles up.
      const first = await pool.start({ natsUrl: nats.url, dir: dir.path });
      expect(await first.stop()).toBe(0);
      const events = await publishBacklog(nats.url, BACKLOG, INTEGRATIONS);

      const killedAt: number[] = [];
      for (let round = 0; round < KILLS; round++) {
        const victim = await pool.start({ natsUrl: nats.url, dir: dir.path });
        const before = receiver.requests.length;
        // A random moment measured in deliveries, not in time: however fast the daemon
        // drains, each kill lands inside the backlog (4 × at most 3,000 of 20,000).
        const after = before + Math.floor(200 + random() * 2_800);
        await waitFor(() => receiver.requests.length >= after, {
          timeoutMs: 30_000,
          what: "deliveries to resume",
        });
        killedAt.push(receiver.requests.length);
        victim.child.kill("SIGKILL");
        await victim.exited;
      }
      const midway = reconcile(events, receiver.requests);
      expect(midway.lost, "the kills must interrupt the backlog").toBeGreaterThan(0);

      await pool.start({ natsUrl: nats.url, dir: dir.path });
      const report = await settle(
        () => events,
        () => receiver.requests,
        { timeoutMs: 120_000, maxRssMb: () => sampler.maxRssMb() },
      );
      printReport(
        "kill-9 x4 + clean run",
        report,
        `seed=${seed} killedAtArrivals=${killedAt.join("/")}`,
      );
      expect(report.unexpected).toBe(0);
      expect(report.lost, `lost e.g. ${report.lostSample.join(", ")}`).toBe(0);
    } finally {
      sampler.stop();
    }
  }, 240_000);
});
