/**
 * The daemon's delivery engine, wired once at its creation: the caps, the sender, the
 * configuration in force, the metrics and the logs that outlive a set-up of the consumers
 * again. The JetStream side (jetstream-work.ts) is started later, with it, once NATS answers.
 */
import type { Logger } from "pino";
import { createConfigInForce, type ConfigInForce } from "./config-in-force.js";
import { forgetRemovedFigures } from "./removed-figures.js";
import type { ConsumerDeps } from "./consumers.js";
import { IN_PROGRESS_BYTES, Intake } from "../delivery/concurrency/intake.js";
import { createLimiter } from "../delivery/concurrency/limiter.js";
import { REQUEST_BYTES, RequestSlots } from "../delivery/concurrency/request-slots.js";
import { createDeadLetterLog } from "../delivery/dead-letter-log.js";
import { createEgressPolicy, type Cidr } from "../delivery/egress.js";
import { FailureLog } from "../delivery/failure-log.js";
import { createInvalidEventLog } from "../delivery/invalid-log.js";
import { createSender, type Sender } from "../delivery/send.js";
import { createSkipLog } from "../delivery/skip-log.js";
import { DeliveryStats } from "../delivery/stats.js";
import { createMetrics, type Metrics } from "../http/metrics.js";
import { PULL_BYTES, pullBatch } from "../nats/pull-size.js";
import { createStoreFailureLog } from "../nats/store-failure-log.js";
import type { Periodic } from "../periodic.js";

/** The parts of the delivery engine the consumers share, made once per daemon. */
export type DeliveryEngine = Pick<
  ConsumerDeps,
  | "intake"
  | "requests"
  | "sender"
  | "limiter"
  | "stats"
  | "metrics"
  | "log"
  | "invalidEvents"
  | "deadLetterLog"
  | "skipLog"
  | "storeFailures"
  | "failureLog"
  | "signal"
  | "givenUp"
  | "snapshot"
>;

export interface EngineSettings {
  egress: { deny: Cidr[]; allow: Cidr[] };
  maxInFlight: number;
  ackWaitMs: number;
  /** The deployment's --consumer: the logs' hints at `dlq list` name it. */
  nats: { jetstream: { consumer: string } };
}

/** What the metrics ask of the daemon at scrape time. */
export interface EngineProbes {
  isNatsConnected(): boolean;
  natsDisconnections(): number;
  isReady(): boolean;
}

export interface Engine {
  /** What the consumers share, handed to each set-up of them (jetstream-work.ts). */
  delivery: DeliveryEngine;
  inForce: ConfigInForce;
  stats: DeliveryStats;
  metrics: Metrics;
  sender: Sender;
  /** Aborts every attempt in flight: when shutdown's grace period ends. */
  abort: AbortController;
  /** Tells the consumers that shutdown stopped waiting for them (NATS down past the grace). */
  giveUp: AbortController;
  /** Drops removed integrations' figures a while after they are gone. */
  forgetting: Periodic;
  /** Tells what the rate-limited logs counted and did not tell yet (at stop). */
  flushLogs(): void;
}

export function buildEngine(settings: EngineSettings, log: Logger, probes: EngineProbes): Engine {
  const { maxInFlight } = settings;
  // --max-in-flight caps both the messages in progress (intake waits) and the requests in
  // flight (an event matching several integrations starts several). Messages pulled behind
  // requests that hang take spare slots before the ack wait runs out (concurrency/intake.ts).
  const requests = new RequestSlots(maxInFlight, { bytes: REQUEST_BYTES });
  const stats = new DeliveryStats();
  const metrics: Metrics = createMetrics({
    requestsInFlight: () => requests.taken,
    isNatsConnected: () => probes.isNatsConnected(),
    natsDisconnections: () => probes.natsDisconnections(),
    isReady: () => probes.isReady(),
    deliveryCounts: () => stats.countsWith(inForce.snapshot().byName.keys()),
    attemptResults: () => stats.attemptResults(),
  });
  // One origin may take as many connections as the global cap allows requests.
  const sender = createSender({
    egress: createEgressPolicy(settings.egress),
    connections: Math.max(32, maxInFlight),
  });
  const limiter = createLimiter();
  const inForce = createConfigInForce({ metrics, limiter });
  // One of each per daemon: a flood's count outlives a set-up of the consumers again.
  const { consumer } = settings.nats.jetstream;
  const invalidEvents = createInvalidEventLog(log, { consumer });
  const deadLetterLog = createDeadLetterLog(log, { consumer });
  const skipLog = createSkipLog(log);
  const storeFailures = createStoreFailureLog(log);
  const failureLog = new FailureLog();
  const forgetting = forgetRemovedFigures({
    stats,
    attemptDuration: metrics.attemptDuration,
    isLoaded: (name) => inForce.snapshot().byName.has(name),
    alsoForget: [deadLetterLog, skipLog, failureLog, limiter],
    log,
  });
  const abort = new AbortController();
  const giveUp = new AbortController();
  const delivery: DeliveryEngine = {
    intake: new Intake(maxInFlight, {
      spare: pullBatch(maxInFlight),
      spareAfterMs: Math.min(1_000, settings.ackWaitMs / 4),
      bytes: IN_PROGRESS_BYTES,
      // What waits unseen in the client behind a stuck cap: a pull, bounded by bytes (pull-size.ts).
      spareBytes: PULL_BYTES,
    }),
    requests,
    sender,
    limiter,
    stats,
    metrics,
    log,
    invalidEvents,
    deadLetterLog,
    skipLog,
    storeFailures,
    failureLog,
    signal: abort.signal,
    givenUp: giveUp.signal,
    snapshot: inForce.snapshot,
  };
  const flushLogs = () => {
    invalidEvents.flush();
    deadLetterLog.flush();
    skipLog.flush();
    storeFailures.flush();
  };
  return { delivery, inForce, stats, metrics, sender, abort, giveUp, forgetting, flushLogs };
}
