/**
 * What every fault scenario needs: publishing tracked events, running daemons that can be
 * killed, and waiting for the ledger to balance.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { eventSubject } from "../../src/events/sample.js";
import type { PbxEvent } from "../../src/events/types.js";
import {
  makeEvent,
  startDaemon,
  type DaemonOptions,
  type RunningDaemon,
} from "../support/daemon.js";
import { reconcile, type LedgerReport, type PublishedEvent } from "../support/ledger.js";
import type { ReceivedRequest } from "../support/receiver.js";
import { sleep } from "../support/wait.js";

/** A small seeded PRNG (mulberry32): fault timings are random but reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedFromEnv(): number {
  const fromEnv = Number(process.env.FAULT_SEED);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31);
}

/** Publishes `count` events in batches of 100 (each awaited: stored once acked). */
export async function publishBacklog(
  natsUrl: string,
  count: number,
  integrations: readonly string[],
  make: () => PbxEvent = () => makeEvent(),
): Promise<PublishedEvent[]> {
  const nc = await connect({ servers: natsUrl.split(",") });
  const js = jetstream(nc, { timeout: 10_000 });
  const published: PublishedEvent[] = [];
  try {
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, make);
      await Promise.all(
        batch.map((e) => js.publish(eventSubject(e), JSON.stringify(e), { msgID: e.id })),
      );
      published.push(...batch.map((e) => ({ id: e.id, integrations })));
    }
  } finally {
    await nc.close();
  }
  return published;
}

export interface SteadyPublisher {
  published: PublishedEvent[];
  /** When JetStream acknowledged each event id (ms since epoch). */
  publishedAt: Map<string, number>;
  /** Publish failures (NATS down): those events were never stored and are not expected. */
  failures: number;
  stop(): Promise<void>;
}

/**
 * Publishes one event every `intervalMs` until stopped, retrying nothing: an event counts as
 * published only once JetStream acknowledged it.
 */
export async function steadyPublisher(
  natsUrl: string,
  intervalMs: number,
  integrations: readonly string[],
): Promise<SteadyPublisher> {
  const nc = await connect({
    servers: natsUrl.split(","),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  const js = jetstream(nc, { timeout: 3_000 });
  const state: SteadyPublisher = {
    published: [],
    publishedAt: new Map(),
    failures: 0,
    stop: () => Promise.resolve(),
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      const event = makeEvent();
      try {
        await js.publish(eventSubject(event), JSON.stringify(event), { msgID: event.id });
        state.published.push({ id: event.id, integrations });
        state.publishedAt.set(event.id, Date.now());
      } catch {
        state.failures++;
      }
      await sleep(intervalMs);
    }
  })();
  state.stop = async () => {
    running = false;
    await loop;
    await nc.close();
  };
  return state;
}

/** Daemons started by a scenario, killed (SIGKILL, by pid) when it ends. */
export class DaemonPool {
  readonly all: RunningDaemon[] = [];

  async start(options: DaemonOptions): Promise<RunningDaemon> {
    const daemon = await startDaemon({ ...options, env: { LOG_LEVEL: "info", ...options.env } });
    this.all.push(daemon);
    return daemon;
  }

  pids(): number[] {
    return this.all
      .filter((d) => d.child.exitCode === null && d.child.signalCode === null)
      .map((d) => d.child.pid)
      .filter((pid): pid is number => pid !== undefined);
  }

  async killAll(): Promise<void> {
    for (const d of this.all.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill("SIGKILL");
      await d.exited;
    }
  }
}

/** Waits until nothing is lost (or the time is up) and returns the final books. */
export async function settle(
  events: () => readonly PublishedEvent[],
  requests: () => readonly ReceivedRequest[],
  { timeoutMs, maxRssMb = () => 0 }: { timeoutMs: number; maxRssMb?: () => number },
): Promise<LedgerReport> {
  const until = Date.now() + timeoutMs;
  let report = reconcile(events(), requests(), maxRssMb());
  while (report.lost > 0 && Date.now() < until) {
    await sleep(250);
    report = reconcile(events(), requests(), maxRssMb());
  }
  // A moment more so late duplicates are counted too.
  await sleep(500);
  return reconcile(events(), requests(), maxRssMb());
}
