/**
 * Prometheus metrics. One Registry per daemon (never the global one), `hookswitch_` prefix,
 * label values limited to integration names and fixed enums.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { ConfigState } from "../config/watch/generation.js";
import type { Problem } from "../config/types.js";
import type { WaitingCounts } from "../delivery/waiting-counts.js";
import { AttemptCounter, type AttemptResultCounts } from "./attempt-counter.js";
import { DeliveryCounter, type DeliveryCounts } from "./delivery-counter.js";
import { DurationHistogram } from "./duration-histogram.js";
import { Exposition } from "./exposition.js";
import {
  buildInfo,
  configInfo,
  gaugeShownOnceSet,
  storeFailures,
  waitingGauge,
} from "./metric-parts.js";

export interface Metrics {
  /** The prom-client metrics: all but the families kept per integration. */
  registry: Registry;
  /** What `/metrics` serves: the registry's metrics and the families kept per integration. */
  exposition: Exposition;
  eventsReceived: Counter;
  eventsInvalid: Counter;
  eventsUnmatched: Counter;
  /** Records NATS did not store, by stream (HOOKSWITCH_DELIVERIES or HOOKSWITCH_DLQ). */
  storeFailures: Counter<"stream">;
  /** Read from `deliveryCounts` when scraped: count outcomes there, not here. */
  deliveries: DeliveryCounter;
  /** By integration: `observe(integration, seconds)`. */
  attemptDuration: DurationHistogram;
  inFlight: Gauge;
  /** Shown from the first count on: before NATS answers, the queue's size is unknown. */
  deadLetters: { set(count: number): void };
  /** The event consumer's backlog, as last read from NATS; shown from the first reading on. */
  eventsPending: { set(count: number): void };
  eventsUnacknowledged: { set(count: number): void };
  /** When NATS last took an event's acknowledgement from any replica, as last read. */
  eventsLastAcknowledged: { set(unixSeconds: number): void };
  /** Retries and replays holding a place in the delivery consumer, and its places, as last read. */
  waitingRetries: { set(count: number): void };
  waitingRetriesLimit: { set(count: number): void };
  /** Retries and replays stored that the delivery consumer will not hand out (nats/passed-by.ts). */
  waitingRetriesPassedBy: { set(count: number): void };
  /** Deliveries waiting in JetStream by integration, as last read: each reading replaces the last. */
  deliveriesWaiting: { set(byIntegration: ReadonlyMap<string, WaitingCounts>): void };
  configGeneration: Gauge;
  /** The digest of the files in force: one series at a time, the last digest set. */
  configInfo: { set(digest: string): void };
  configReloadSuccessful: { set(value: number): void };
  configReloadSuccessTime: { set(value: number): void };
  integrations: Gauge<"state">;
  natsConnected: Gauge;
  natsDisconnects: Counter;
  ready: Gauge;
  buildInfo: Gauge<"version" | "revision" | "nodejs">;
}

export interface MetricsSources {
  /** Attempts so far by integration and result (ATTEMPT_RESULTS' order), never decreasing. */
  attemptResults: AttemptResultCounts;
  /** Read at scrape time. */
  isNatsConnected: () => boolean;
  /** Times the NATS connection was lost so far, never decreasing. */
  natsDisconnections: () => number;
  isReady: () => boolean;
  /** HTTP attempts holding a request slot (`--max-in-flight`). */
  requestsInFlight: () => number;
  /** Delivery outcomes so far by integration (the status page's counts), never decreasing. */
  deliveryCounts: DeliveryCounts;
}

/**
 * prom-client writes the families in the order they were registered (those shown once set,
 * when first set): each piece below registers its own in turn, so keep their order.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "hookswitch_" });
  const registers = [registry];
  const deliveries = new DeliveryCounter(
    "Outcomes of delivery attempts by integration: delivered, retried, dead-lettered, skipped",
    sources.deliveryCounts,
  );
  const attemptDuration = new DurationHistogram({
    name: "hookswitch_attempt_duration_seconds",
    help: "Duration of each HTTP attempt, from its start until the answer is read (headers and body, up to the part kept) or the attempt fails",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  return {
    registry,
    exposition: new Exposition(registry, [
      deliveries,
      new AttemptCounter(sources.attemptResults),
      attemptDuration,
    ]),
    ...eventCounters(registers),
    storeFailures: storeFailures(registers),
    deliveries,
    attemptDuration,
    inFlight: inFlightGauge(sources, registers),
    ...queueGauges(registry, registers),
    ...configMetrics(registry, registers),
    ...readinessGauges(sources, registers),
    buildInfo: buildInfo(registers),
  };
}

/** What became of the events read from NATS. */
function eventCounters(
  registers: Registry[],
): Pick<Metrics, "eventsReceived" | "eventsInvalid" | "eventsUnmatched"> {
  return {
    eventsReceived: new Counter({
      name: "hookswitch_events_received_total",
      help: "PBX events read from NATS, valid or not",
      registers,
    }),
    eventsInvalid: new Counter({
      name: "hookswitch_events_invalid_total",
      help: "Messages that were not valid JSON or not a valid PBX event, or larger than --max-event-size (dead-lettered)",
      registers,
    }),
    eventsUnmatched: new Counter({
      name: "hookswitch_events_unmatched_total",
      help: "Valid PBX events that no enabled integration matched (acknowledged, nothing sent)",
      registers,
    }),
  };
}

function inFlightGauge(sources: MetricsSources, registers: Registry[]): Gauge {
  return new Gauge({
    name: "hookswitch_deliveries_in_flight",
    help: "HTTP attempts in progress",
    registers,
    collect() {
      this.set(sources.requestsInFlight());
    },
  });
}

/** The sizes of the queues in NATS, as last read. */
function queueGauges(
  registry: Registry,
  registers: Registry[],
): Pick<
  Metrics,
  | "deadLetters"
  | "eventsPending"
  | "eventsUnacknowledged"
  | "eventsLastAcknowledged"
  | "waitingRetries"
  | "waitingRetriesLimit"
  | "waitingRetriesPassedBy"
  | "deliveriesWaiting"
> {
  return {
    deadLetters: gaugeShownOnceSet(registry, {
      name: "hookswitch_dead_letters",
      help: "This deployment's (--consumer's) records in the dead-letter queue, and those of no deployment from before they were kept per deployment (refreshed periodically)",
    }),
    // Read from the consumer all replicas share: each replica shows the same value, so a
    // query takes max(), not sum().
    eventsPending: gaugeShownOnceSet(registry, {
      name: "hookswitch_events_pending",
      help: "Events the stream holds that the shared consumer has not handed to any replica yet (the backlog; read every 5 s, the same on every replica)",
    }),
    eventsUnacknowledged: gaugeShownOnceSet(registry, {
      name: "hookswitch_events_unacknowledged",
      help: "Events handed to a replica and not acknowledged yet: in progress, or waiting to be delivered again (read every 5 s, the same on every replica)",
    }),
    // With events waiting, an old value means consuming has stopped, whatever /readyz says.
    eventsLastAcknowledged: gaugeShownOnceSet(registry, {
      name: "hookswitch_events_last_acknowledged_timestamp_seconds",
      help: "Unix time at which NATS last took an acknowledgement of an event from any replica (read every 5 s, the same on every replica; absent until the first)",
    }),
    // At the limit NATS hands out no retry or replay, due or not, for any integration.
    waitingRetries: gaugeShownOnceSet(registry, {
      name: "hookswitch_waiting_retries",
      help: "Retries and replays waiting in the delivery consumer, each holding one of its places (read every 5 s, the same on every replica)",
    }),
    waitingRetriesLimit: gaugeShownOnceSet(registry, {
      name: "hookswitch_waiting_retries_limit",
      help: "The delivery consumer's places for waiting retries and replays (--max-waiting-retries): at the limit, none is handed out for any integration",
    }),
    // Stored and never read: a nats-server fault (nats/passed-by.ts).
    waitingRetriesPassedBy: gaugeShownOnceSet(registry, {
      name: "hookswitch_waiting_retries_passed_by",
      help: "Retries and replays stored in HOOKSWITCH_DELIVERIES that the delivery consumer will not hand out, a fault of nats-server older than 2.10.27 (found in three looks in a row, 10 s apart; the same on every replica)",
    }),
    deliveriesWaiting: waitingGauge(registers),
  };
}

/** The configuration in force and how its last reload went: see recordConfigGeneration. */
function configMetrics(
  registry: Registry,
  registers: Registry[],
): Pick<
  Metrics,
  | "configGeneration"
  | "configInfo"
  | "configReloadSuccessful"
  | "configReloadSuccessTime"
  | "integrations"
> {
  return {
    configGeneration: new Gauge({
      name: "hookswitch_config_generation",
      help: "Number of the configuration generation in force",
      registers,
    }),
    configInfo: configInfo(registers),
    // Absent until the first load (a folder git-sync has not checked out yet): 0 there
    // would raise the "file invalid" alert for a pod that is only waiting, not ready.
    configReloadSuccessful: gaugeShownOnceSet(registry, {
      name: "hookswitch_config_last_reload_successful",
      help: "1 when every integration file is valid, 0 while any file is invalid",
    }),
    configReloadSuccessTime: gaugeShownOnceSet(registry, {
      name: "hookswitch_config_last_reload_success_timestamp_seconds",
      help: "Unix time of the last reload in which every file was valid",
    }),
    integrations: new Gauge({
      name: "hookswitch_integrations",
      help: "Integrations by state: enabled, disabled, invalid (files with problems)",
      labelNames: ["state"] as const,
      registers,
    }),
  };
}

/** Whether NATS is connected and the daemon ready, asked of `sources` at scrape time. */
function readinessGauges(
  sources: MetricsSources,
  registers: Registry[],
): Pick<Metrics, "natsConnected" | "natsDisconnects" | "ready"> {
  let disconnectsShown = 0;
  return {
    natsConnected: new Gauge({
      name: "hookswitch_nats_connected",
      help: "1 while connected to NATS",
      registers,
      collect() {
        this.set(sources.isNatsConnected() ? 1 : 0);
      },
    }),
    // Losses between two scrapes that the gauge above never shows (a flapping connection).
    natsDisconnects: new Counter({
      name: "hookswitch_nats_disconnects_total",
      help: "Times the connection to NATS was lost (each is followed by reconnection attempts)",
      registers,
      collect() {
        const now = sources.natsDisconnections();
        if (now > disconnectsShown) this.inc(now - disconnectsShown);
        disconnectsShown = now;
      },
    }),
    ready: new Gauge({
      name: "hookswitch_ready",
      help: "1 while /readyz answers 200: configuration loaded, NATS connected, consuming",
      registers,
      collect() {
        this.set(sources.isReady() ? 1 : 0);
      },
    }),
  };
}

/**
 * The configuration gauges, set once per generation, and again when the folder vanishes
 * or comes back (`problems`: the generation's and the folder's).
 */
export function recordConfigGeneration(
  metrics: Metrics,
  state: ConfigState,
  problems: readonly Problem[] = state.problems,
) {
  const enabled = state.integrations.filter((i) => i.enabled).length;
  const invalidFiles = new Set(problems.map((p) => p.file)).size;
  metrics.configGeneration.set(state.generation);
  metrics.configInfo.set(state.digest);
  metrics.configReloadSuccessful.set(problems.length === 0 ? 1 : 0);
  if (problems.length === 0) metrics.configReloadSuccessTime.set(Date.now() / 1000);
  metrics.integrations.set({ state: "enabled" }, enabled);
  metrics.integrations.set({ state: "disabled" }, state.integrations.length - enabled);
  metrics.integrations.set({ state: "invalid" }, invalidFiles);
}
