/**
 * The metrics that are more than a plain counter or gauge: series shown only when they mean
 * something, info-style gauges, a counter shown at 0 from the start.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "../nats/layout.js";
import { REVISION, VERSION } from "../version.js";
import type { Metrics } from "./metrics.js";

/**
 * Only integrations with deliveries waiting have series: one per kind that has some. A
 * series at 0 for each of 10,000 integrations would weigh on every scrape.
 */
export function waitingGauge(registers: Registry[]): Metrics["deliveriesWaiting"] {
  const gauge = new Gauge({
    name: "hookswitch_deliveries_waiting",
    help: "Deliveries waiting in JetStream by integration: kind=retry (a retry or replay waiting for its time), kind=parked (waiting for room at its integration); read every 10 s, the same on every replica",
    labelNames: ["integration", "kind"] as const,
    registers,
  });
  return {
    set(byIntegration) {
      gauge.reset();
      for (const [integration, counts] of byIntegration) {
        if (counts.retry > 0) gauge.set({ integration, kind: "retry" }, counts.retry);
        if (counts.parked > 0) gauge.set({ integration, kind: "parked" }, counts.parked);
      }
    },
  };
}

/**
 * Both streams' series are shown at 0 from the start: a series born at 1 has no increase()
 * for the alert to see.
 */
export function storeFailures(registers: Registry[]): Counter<"stream"> {
  const counter = new Counter({
    name: "hookswitch_store_failures_total",
    help: "Records (retries, parked deliveries, dead letters) NATS did not store after hookswitch's tries, by stream: each hands its event or delivery back to come again whole",
    labelNames: ["stream"] as const,
    registers,
  });
  for (const stream of [DELIVERY_STREAM, DEAD_LETTER_STREAM]) counter.inc({ stream }, 0);
  return counter;
}

/** The usual `_build_info` gauge: always 1, its labels say what runs (for joins in queries). */
export function buildInfo(registers: Registry[]): Gauge<"version" | "revision" | "nodejs"> {
  const gauge = new Gauge({
    name: "hookswitch_build_info",
    help: "Always 1; the labels name the hookswitch version, the source revision of its build and the Node.js version running",
    labelNames: ["version", "revision", "nodejs"] as const,
    registers,
  });
  gauge.set({ version: VERSION, revision: REVISION, nodejs: process.versions.node }, 1);
  return gauge;
}

/**
 * An info-style gauge, always 1, its label the configuration digest: replicas that run the
 * same files show the same digest, whatever their generation counts. Absent until the first
 * load; a new digest replaces the old series, so that a query never sees two for a replica.
 */
export function configInfo(registers: Registry[]): Metrics["configInfo"] {
  const gauge = new Gauge({
    name: "hookswitch_config_info",
    help: "Always 1; the label digest names the integration files in force (as hookswitch validate prints it), the same on replicas that run the same files",
    labelNames: ["digest"] as const,
    registers,
  });
  return {
    set(digest) {
      gauge.reset();
      gauge.set({ digest }, 1);
    },
  };
}

/**
 * A gauge absent from the exposition until it is first set: an unlabelled prom-client
 * gauge reads 0 from the start, which for the dead-letter queue would claim it empty while
 * it has not been counted (NATS not reached yet). Absent, `absent()` and alerts can tell.
 */
export function gaugeShownOnceSet(
  registry: Registry,
  config: { name: string; help: string },
): { set(value: number): void } {
  const gauge = new Gauge({ ...config, registers: [] });
  let shown = false;
  return {
    set(value) {
      if (!shown) registry.registerMetric(gauge);
      shown = true;
      gauge.set(value);
    },
  };
}
