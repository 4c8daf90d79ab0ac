import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { printReport, sampleProcesses } from "../support/ledger.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { tempDir, writeIntegration } from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";
import { DaemonPool, publishBacklog, settle } from "./scenario.js";

const INTEGRATIONS = ["ledger"];
const OUTAGE_MS = 30_000;

const status = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.status,
    () => 0,
  );

describe("nats-server failures while events are pending", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  const pool = new DaemonPool();

  beforeEach(async () => {
    nats = await startNatsServer();
    // Slow enough that a backlog is still pending when NATS goes away.
    receiver = await startReceiver(() => ({ status: 200, delayMs: 20 }));
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger`, maxInFlight: 16 });
  });
  afterEach(async () => {
    await pool.killAll();
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  it("loses nothing when nats-server is killed (SIGKILL) and restarted on the same store", async () => {
    const daemon = await pool.start({ natsUrl: nats.url, dir: dir.path });
    const sampler = sampleProcesses(() => pool.pids());
    const first = await publishBacklog(nats.url, 3_000, INTEGRATIONS);
    await waitFor(() => receiver.requests.length >= 300, {
      timeoutMs: 30_000,
      what: "300 arrivals",
    });
    await nats.kill();
    await sleep(2_000);
    await nats.start();
    const second = await publishBacklog(nats.url, 500, INTEGRATIONS);
    const events = [...first, ...second];
    const report = await settle(
      () => events,
      () => receiver.requests,
      { timeoutMs: 90_000, maxRssMb: () => sampler.maxRssMb() },
    );
    sampler.stop();
    printReport("nats-server SIGKILL + restart", report);
    expect(daemon.child.exitCode).toBeNull();
    expect(report.lost, `lost e.g. ${report.lostSample.join(", ")}`).toBe(0);
  }, 150_000);

  it("keeps running through a 30 s NATS outage, not ready meanwhile, and recovers", async () => {
    const daemon = await pool.start({ natsUrl: nats.url, dir: dir.path });
    const sampler = sampleProcesses(() => pool.pids());
    const events = await publishBacklog(nats.url, 3_000, INTEGRATIONS);
    await waitFor(() => receiver.requests.length >= 200, {
      timeoutMs: 30_000,
      what: "200 arrivals",
    });
    await nats.kill();
    const downSince = Date.now();
    const readiness: number[] = [];
    const health: number[] = [];
    await sleep(1_500);
    while (Date.now() - downSince < OUTAGE_MS) {
      readiness.push(await status(`${daemon.http}/readyz`));
      health.push(await status(`${daemon.http}/healthz`));
      expect(daemon.child.exitCode, "the daemon must survive the outage").toBeNull();
      await sleep(2_000);
    }
    await nats.start();
    const upAt = Date.now();
    await waitFor(async () => (await status(`${daemon.http}/readyz`)) === 200, {
      timeoutMs: 30_000,
      what: "readiness after NATS is back",
    });
    const readyAfterMs = Date.now() - upAt;
    const report = await settle(
      () => events,
      () => receiver.requests,
      { timeoutMs: 90_000, maxRssMb: () => sampler.maxRssMb() },
    );
    sampler.stop();
    printReport("nats-server down 30 s", report, `readyAgainAfterMs=${readyAfterMs}`);
    expect(new Set(readiness)).toEqual(new Set([503]));
    expect(new Set(health)).toEqual(new Set([200]));
    expect(report.lost, `lost e.g. ${report.lostSample.join(", ")}`).toBe(0);
  }, 180_000);
});
