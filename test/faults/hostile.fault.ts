import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookId } from "../../src/delivery/webhook-id.js";
import { printReport, reconcile, sampleProcesses } from "../support/ledger.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { tempDir, writeIntegration } from "../support/daemon.js";
import { freePort, sleep } from "../support/wait.js";
import {
  gigabyteBody,
  hangForever,
  resetMidResponse,
  trickle,
  type HostileReceiver,
} from "./hostile-receivers.js";
import { DaemonPool, settle, steadyPublisher } from "./scenario.js";

const LOAD_MS = 30_000;
/** The "503 for a minute" receiver, shortened to 20 s to keep the suite short. */
const OUTAGE_MS = 20_000;
const RATE_INTERVAL_MS = 200;
const MAX_RSS_MB = 300;
const MAX_SOCKETS = 300;
const MAX_HEALTHY_LAG_MS = 3_000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

describe("hostile receivers next to a healthy one", () => {
  let nats: NatsServer;
  let healthy: Receiver;
  let flapping: Receiver;
  let edge: Receiver;
  const hostile: HostileReceiver[] = [];
  let dir: ReturnType<typeof tempDir>;
  const pool = new DaemonPool();
  let outageEnds = Infinity;

  beforeAll(async () => {
    nats = await startNatsServer();
    healthy = await startReceiver();
    flapping = await startReceiver(() => ({ status: Date.now() < outageEnds ? 503 : 200 }));
    edge = await startReceiver(() => ({ status: 200, delayMs: 9_900 }));
    const [reset, hang, huge, slow] = await Promise.all([
      resetMidResponse(),
      hangForever(),
      gigabyteBody(),
      trickle(),
    ]);
    hostile.push(reset, hang, huge, slow);
    dir = tempDir();
    const few = { maxAttempts: 2, initialDelay: "500ms", maxDelay: "1s" };
    writeIntegration(dir.path, "healthy", { url: `${healthy.url}/ok`, maxInFlight: 16 });
    writeIntegration(dir.path, "refused", {
      url: `http://127.0.0.1:${await freePort()}/`,
      retry: few,
    });
    writeIntegration(dir.path, "reset", { url: `${reset.url}/`, retry: few, maxInFlight: 4 });
    writeIntegration(dir.path, "flapping", {
      url: `${flapping.url}/`,
      retry: { maxAttempts: 10, initialDelay: "1s", maxDelay: "4s" },
      maxInFlight: 8,
    });
    writeIntegration(dir.path, "hang", {
      url: `${hang.url}/`,
      timeout: "2s",
      retry: few,
      maxInFlight: 4,
    });
    writeIntegration(dir.path, "edge", {
      url: `${edge.url}/`,
      timeout: "10s",
      retry: { maxAttempts: 1 },
      maxInFlight: 64,
    });
    writeIntegration(dir.path, "gigabyte", {
      url: `${huge.url}/`,
      timeout: "5s",
      retry: few,
      maxInFlight: 4,
    });
    writeIntegration(dir.path, "trickle", {
      url: `${slow.url}/`,
      timeout: "3s",
      retry: few,
      maxInFlight: 4,
    });
  });
  afterAll(async () => {
    await pool.killAll();
    for (const r of [healthy, flapping, edge, ...hostile]) await r?.close();
    await nats.dispose();
    dir.cleanup();
  });

  it("keeps the healthy integration flowing with bounded memory and sockets", async () => {
    const daemon = await pool.start({ natsUrl: nats.url, dir: dir.path });
    const sampler = sampleProcesses(() => pool.pids());
    outageEnds = Date.now() + OUTAGE_MS;
    const load = await steadyPublisher(nats.url, RATE_INTERVAL_MS, ["healthy"]);
    await sleep(LOAD_MS);
    await load.stop();

    const healthyReport = await settle(
      () => load.published,
      () => healthy.requests,
      { timeoutMs: 30_000, maxRssMb: () => sampler.maxRssMb() },
    );
    const flapEvents = load.published.map((e) => ({ id: e.id, integrations: ["flapping"] }));
    const flapReport = await settle(
      () => flapEvents,
      () => flapping.requests.filter((r) => r.at >= outageEnds),
      { timeoutMs: 45_000 },
    );
    sampler.stop();

    const sentAt = new Map(
      [...load.publishedAt].map(([id, at]) => [webhookId("healthy", id), at] as const),
    );
    const lags = healthy.requests
      .map((r) => r.at - (sentAt.get(String(r.headers["webhook-id"])) ?? r.at))
      .sort((a, b) => a - b);
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    const edgeDelivered = Number(
      /hookswitch_deliveries_total\{integration="edge",outcome="delivered"\} (\d+)/.exec(
        metrics,
      )?.[1] ?? 0,
    );
    const figures =
      `healthyLagP50Ms=${percentile(lags, 50)} healthyLagP99Ms=${percentile(lags, 99)} ` +
      `healthyLagMaxMs=${lags.at(-1) ?? 0} maxFds=${sampler.maxFds()} ` +
      `maxSockets=${sampler.maxSockets()} edgeDelivered=${edgeDelivered}/${edge.requests.length}`;
    printReport("hostile receivers: healthy integration", healthyReport, figures);
    printReport(
      "hostile receivers: 503 for 20 s then 200",
      reconcile(flapEvents, flapping.requests),
    );

    expect(daemon.child.exitCode).toBeNull();
    expect(healthyReport.lost, `lost e.g. ${healthyReport.lostSample.join(", ")}`).toBe(0);
    expect(lags.at(-1) ?? 0).toBeLessThan(MAX_HEALTHY_LAG_MS);
    expect(flapReport.lost, "the 503 receiver gets everything once it recovers").toBe(0);
    expect(sampler.maxRssMb()).toBeLessThan(MAX_RSS_MB);
    expect(sampler.maxSockets()).toBeLessThan(MAX_SOCKETS);
    expect(edgeDelivered, "a 200 at 9.9 s of a 10 s timeout is a success").toBeGreaterThan(0);
  }, 180_000);
});
