/**
 * A rolling update, the most common operation of all: a Deployment of three replicas
 * replaced one at a time (RollingUpdate, maxSurge 1, maxUnavailable 0) while events flow,
 * with a change of an integration file in the middle (a GitOps rollout of image and config
 * together). A graceful SIGTERM is normal operation: every delivery must arrive, and each
 * once (docs/operating.md, "Shutdown and the grace period"), retries pending in JetStream and
 * parked deliveries included.
 */
import fs from "node:fs";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookId } from "../../src/delivery/webhook-id.js";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { eventSubject } from "../../src/events/sample.js";
import type { EventType } from "../../src/config/types.js";
import { arrivals, printReport, sampleProcesses, type PublishedEvent } from "../support/ledger.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type ReceivedRequest, type Receiver } from "../support/receiver.js";
import { makeEvent, tempDir, type RunningDaemon } from "../support/daemon.js";
import { sleep } from "../support/wait.js";
import { DaemonPool, seedFromEnv, seededRandom, settle } from "./scenario.js";

const REPLICAS = 3;
/** Two rollouts back to back (image, then image and config): six SIGTERMs under load. */
const ROLLOUTS = 2;
const EVENTS = 2_400;
/** 40 events/s: the publishing outlasts the rollout. */
const INTERVAL_MS = 25;
/** Publishing runs this long before the first replica is replaced. */
const WARM_UP_MS = 8_000;
/** The flaky receiver answers 503 from the start until this long into the rollout. */
const FLAKY_FOR_MS = 20_000;

/** Which integrations each event type matches: user.created fans out to three. */
const MATCHES: Record<EventType, readonly string[]> = {
  "user.created": ["fast", "flaky", "slow"],
  "user.modified": ["fast", "slow"],
  "user.deleted": ["fast", "audit"],
};
const TYPES = Object.keys(MATCHES) as EventType[];
const eventsOf = (name: string) => TYPES.filter((t) => MATCHES[t].includes(name));

const LOG_LEVEL = process.env.FAULT_LOG_LEVEL ?? "info";

interface Accepted extends ReceivedRequest {
  integration: string;
}

describe("a rolling update of three replicas under load", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let root: ReturnType<typeof tempDir>;
  let dir: string;
  const pool = new DaemonPool();
  /** Requests answered 2xx: deliveries. A 503 is an attempt, not a delivery. */
  const accepted: Accepted[] = [];
  let flakyUntil = Infinity;
  let random: () => number = Math.random;

  const write = (name: string, webhook: Record<string, unknown>) => {
    const doc = {
      apiVersion: "hookswitch/v1",
      name,
      scope: { account: "acme" },
      trigger: { serviceType: "mycloudpbx", events: eventsOf(name) },
      webhook: { url: `${receiver.url}/${name}`, ...webhook },
    };
    // Atomic, as git-sync or an editor writes: never half a file.
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(`${file}.tmp~`, JSON.stringify(doc, null, 2));
    fs.renameSync(`${file}.tmp~`, file);
  };
  const fast = (version: string) =>
    write("fast", { maxInFlight: 16, headers: { "X-Rollout": version } });

  beforeAll(async () => {
    const seed = seedFromEnv();
    random = seededRandom(seed);
    console.log(`[fault] rollout seed=${seed} (rerun with FAULT_SEED=${seed})`);
    nats = await startNatsServer();
    receiver = await startReceiver((req) => {
      const integration = req.url.split("/")[1] ?? "";
      let reply: { status: number; delayMs?: number } = { status: 200 };
      if (integration === "flaky" && Date.now() < flakyUntil) reply = { status: 503 };
      if (integration === "slow") reply = { status: 200, delayMs: 50 + Math.floor(random() * 150) };
      if (reply.status < 300) accepted.push({ ...req, integration });
      return reply;
    });
    root = tempDir();
    dir = path.join(root.path, "integrations.d");
    fs.mkdirSync(dir);
    fast("v1");
    write("audit", { maxInFlight: 16 });
    write("flaky", {
      maxInFlight: 8,
      retry: { maxAttempts: 40, initialDelay: "500ms", maxDelay: "2s" },
    });
    write("slow", { maxInFlight: 1, timeout: "5s" });
  });
  afterAll(async () => {
    await pool.killAll();
    await receiver?.close();
    await nats?.dispose();
    root?.cleanup();
  });

  it("delivers every event to every integration, each once, while replicas are replaced", async () => {
    const start = () =>
      pool.start({
        natsUrl: nats.url,
        dir,
        env: { LOG_LEVEL },
        // The defaults, not the tests' 3 s ack wait: a message a stop lost on its way would
        // come back only after 30 s, and show as such in the lag.
        args: ["--grace-period", "20s", "--ack-wait", "30s"],
      });
    const sampler = sampleProcesses(() => pool.pids());
    let current: RunningDaemon[] = await Promise.all(Array.from({ length: REPLICAS }, start));

    // The publisher: a bounded count at a steady rate, each event counted once stored.
    const nc = await connect({ servers: nats.url });
    const js = jetstream(nc, { timeout: 5_000 });
    const jsm = await jetstreamManager(nc);
    const published: PublishedEvent[] = [];
    /** When each event was stored, by its webhook-id for the fast integration. */
    const publishedAt = new Map<string, number>();
    let publishFailures = 0;
    const publishing = (async () => {
      const t0 = Date.now();
      for (let i = 0; i < EVENTS; i++) {
        const type = TYPES[i % TYPES.length]!;
        const event = makeEvent({ type });
        try {
          await js.publish(eventSubject(event), JSON.stringify(event), { msgID: event.id });
          published.push({ id: event.id, integrations: MATCHES[type] });
          publishedAt.set(webhookId("fast", event.id), Date.now());
        } catch {
          publishFailures++;
        }
        const wait = t0 + (i + 1) * INTERVAL_MS - Date.now();
        if (wait > 0) await sleep(wait);
      }
    })();

    // How many records wait in the delivery stream: retries, and deliveries parked.
    let maxWaiting = 0;
    let maxParked = 0;
    let sampling = true;
    const waitingSampler = (async () => {
      while (sampling) {
        const info = await jsm.streams
          .info(DELIVERY_STREAM, { subjects_filter: "hookswitch.parked.>" })
          .catch(() => undefined);
        maxWaiting = Math.max(maxWaiting, info?.state.messages ?? 0);
        const parked = Object.values(info?.state.subjects ?? {}).reduce((a, b) => a + b, 0);
        maxParked = Math.max(maxParked, parked);
        await sleep(250);
      }
    })();
    /** Requests in flight in a replica as it is told to stop. */
    const inFlight = async (d: RunningDaemon) => {
      const text = await fetch(`${d.http}/metrics`).then(
        (r) => r.text(),
        () => "",
      );
      return Number(/^hookswitch_deliveries_in_flight (\d+)/m.exec(text)?.[1] ?? NaN);
    };

    await sleep(WARM_UP_MS);
    const rolloutStart = Date.now();
    flakyUntil = rolloutStart + FLAKY_FOR_MS;
    const stopMs: number[] = [];
    const stoppedAt: number[] = [];
    const exitCodes: (number | null)[] = [];
    const inFlightAtStop: number[] = [];
    let configChangedAt = 0;
    for (let round = 0; round < ROLLOUTS; round++) {
      for (let i = 0; i < REPLICAS; i++) {
        // Surge: the new pod first, ready (/readyz) before the old one goes.
        const next = await start();
        // The Deployment's pace (minReadySeconds, endpoints catching up): random, seeded.
        await sleep(500 + Math.floor(random() * 2_500));
        const old = current[i]!;
        inFlightAtStop.push(await inFlight(old));
        const t = Date.now();
        stoppedAt.push(t - rolloutStart);
        const code = await old.stop();
        stopMs.push(Date.now() - t);
        exitCodes.push(code);
        expect(code, `exit code of a stopped replica:\n${old.output().slice(-4_000)}`).toBe(0);
        current = current.map((d) => (d === old ? next : d));
        if (round === ROLLOUTS - 1 && i === 0) {
          // The new config reaches the folder mid-rollout, as a GitOps sync would.
          fast("v2");
          configChangedAt = Date.now();
        }
      }
    }
    const rolloutMs = Date.now() - rolloutStart;

    await publishing;
    const report = await settle(
      () => published,
      () => accepted,
      { timeoutMs: 90_000, maxRssMb: () => sampler.maxRssMb() },
    );
    sampling = false;
    await waitingSampler;
    sampler.stop();
    await nc.close();

    // Where the duplicates are: by integration, and how far apart the two sends were.
    const counts = arrivals(accepted);
    const byIntegration = new Map<string, number>();
    const dupIds: string[] = [];
    for (const r of accepted) {
      const id = String(r.headers["webhook-id"]);
      if ((counts.get(id) ?? 0) > 1) {
        if (!dupIds.includes(id)) dupIds.push(id);
        byIntegration.set(r.integration, (byIntegration.get(r.integration) ?? 0) + 1);
      }
    }
    const dupText = [...byIntegration].map(([name, n]) => `${name}:${n}`).join(",") || "none";
    for (const id of dupIds.slice(0, 10)) {
      const sends = accepted.filter((r) => String(r.headers["webhook-id"]) === id);
      console.log(
        `[rollout] duplicate ${id} ${sends[0]!.integration} at ${sends.map((r) => r.at - rolloutStart).join("/")} ms into the rollout`,
      );
    }
    const fastSends = accepted.filter((r) => r.integration === "fast");
    const v1After = fastSends.filter(
      (r) => r.headers["x-rollout"] === "v1" && r.at > configChangedAt + 1_000,
    ).length;
    // The fast integration never waits for a receiver: its lag is what the rollout costs.
    const firstSeen = new Map<string, number>();
    for (const r of fastSends) {
      const id = String(r.headers["webhook-id"]);
      if (!firstSeen.has(id)) firstSeen.set(id, r.at);
    }
    const lags = [...firstSeen]
      .map(([id, at]) => at - (publishedAt.get(id) ?? at))
      .sort((a, b) => a - b);
    const lagAt = (p: number) =>
      lags[Math.min(lags.length - 1, Math.floor((lags.length * p) / 100))];
    const late = lags.filter((ms) => ms > 1_000).length;
    for (const [id, at] of firstSeen) {
      const sentAt = publishedAt.get(id) ?? at;
      if (at - sentAt > 1_000) {
        console.log(
          `[rollout] late ${id}: published ${sentAt - rolloutStart} ms into the rollout, delivered ${at - sentAt} ms later; SIGTERMs at ${stoppedAt.join("/")} ms`,
        );
      }
    }
    const attempts = receiver.requests.length;
    const flakyRetries = receiver.requests.filter(
      (r) => r.url.startsWith("/flaky") && r.at < flakyUntil,
    ).length;
    printReport(
      "rolling update, 3 replicas, surge 1",
      report,
      `attempts=${attempts} flaky503=${flakyRetries} maxWaiting=${maxWaiting} ` +
        `maxParked=${maxParked} rolloutMs=${rolloutMs} inFlightAtStop=${inFlightAtStop.join("/")} ` +
        `stopMs=${stopMs.join("/")} exit=${exitCodes.join("/")} ` +
        `duplicatesBy=${dupText} v1AfterChange=${v1After} publishFailures=${publishFailures} ` +
        `fastLagMs p50=${lagAt(50)} p99=${lagAt(99)} max=${lagAt(100)} over1s=${late}`,
    );
    expect(report.unexpected).toBe(0);
    expect(report.lost, `lost e.g. ${report.lostSample.join(", ")}`).toBe(0);
    expect(pool.pids()).toHaveLength(REPLICAS);
    // A graceful stop is normal operation: each delivery is sent once (docs/operating.md,
    // "Shutdown and the grace period").
    expect(report.duplicates, `duplicates: ${dupIds.slice(0, 5).join(", ")}`).toBe(0);
  }, 180_000);
});
