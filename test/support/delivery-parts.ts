/**
 * The daemon's delivery parts, all real (a stored publisher and dead-letter store on NATS, an
 * HTTP sender, request slots, the limiter), for tests that hand messages to the handlers
 * themselves. The sender is closed by the cleanup pushed onto `cleanups`.
 */
import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { createDeadLetterStore, type DeadLetterStore } from "../../src/delivery/dead-letters.js";
import { Dispatcher } from "../../src/delivery/dispatcher.js";
import { createDurableQueue } from "../../src/delivery/durable-queue.js";
import { createEgressPolicy } from "../../src/delivery/egress.js";
import type { HandlerDeps } from "../../src/delivery/event-handler.js";
import type { DurableQueue } from "../../src/delivery/job.js";
import { createInvalidEventLog } from "../../src/delivery/invalid-log.js";
import { createLimiter } from "../../src/delivery/concurrency/limiter.js";
import type { RequestSlots } from "../../src/delivery/concurrency/request-slots.js";
import { createSender } from "../../src/delivery/send.js";
import { createSkipLog } from "../../src/delivery/skip-log.js";
import type { ConfigSnapshot } from "../../src/delivery/snapshot.js";
import { DeliveryStats } from "../../src/delivery/stats.js";
import { createMetrics } from "../../src/http/metrics.js";
import { createStoredPublisher } from "../../src/nats/stored-publish.js";
import { IDLE_SOURCES } from "./metric-sources.js";

export interface DeliveryPartsOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** The consumer name the delivery records and dead letters are kept under. */
  consumer: string;
  /** The configuration in force, read for every message and attempt. */
  config: () => ConfigSnapshot;
  requests: RequestSlots;
  /** The handlers' clock, fixed; the real one when absent. */
  now?: number;
  cleanups: (() => Promise<unknown>)[];
}

/** The durable queue on NATS, with its dead-letter store, kept under `consumer`. */
export function realDurableQueue(
  nc: NatsConnection,
  jsm: JetStreamManager,
  consumer: string,
): { queue: DurableQueue; deadLetters: DeadLetterStore } {
  // One publisher for records and dead letters, as the daemon has it.
  const publisher = createStoredPublisher(nc);
  const deadLetters = createDeadLetterStore(jetstream(nc), jsm, { consumer, publisher });
  return { queue: createDurableQueue({ publisher, deadLetters, consumer }), deadLetters };
}

export function realDeliveryParts(options: DeliveryPartsOptions): {
  handlers: HandlerDeps;
  dispatcher: Dispatcher;
  stats: DeliveryStats;
} {
  const { nc, jsm, consumer, config, requests, now } = options;
  const { queue } = realDurableQueue(nc, jsm, consumer);
  const sender = createSender({ egress: createEgressPolicy({ deny: [], allow: [] }) });
  options.cleanups.push(() => sender.close());
  const [stats, metrics, log, limiter] = [
    new DeliveryStats(),
    createMetrics(IDLE_SOURCES),
    pino({ level: "silent" }),
    createLimiter(),
  ];
  const dispatcher = new Dispatcher({
    sender,
    requests,
    limiter,
    queue,
    stats,
    metrics,
    log,
    signal: new AbortController().signal,
    integrationNow: (name) => config().byName.get(name)?.integration,
  });
  const handlers: HandlerDeps = {
    snapshot: config,
    ...(now === undefined ? {} : { now: () => now }),
    dispatcher,
    limiter,
    queue,
    stats,
    metrics,
    log,
    skipLog: createSkipLog(log),
    invalidEvents: createInvalidEventLog(log),
  };
  return { handlers, dispatcher, stats };
}
