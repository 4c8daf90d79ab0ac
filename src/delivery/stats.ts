/**
 * Per-integration delivery figures for the status page and /api/integrations.
 * In memory and per replica: Prometheus has the durable, fleet-wide view.
 */
import type { DeliveryOutcome, Metrics } from "../http/metrics.js";

export interface LastDelivery {
  at: string;
  outcome: DeliveryOutcome;
  status: number | null;
  error: string | null;
}

export interface IntegrationStats {
  counts: Record<DeliveryOutcome, number>;
  last: LastDelivery | undefined;
}

export class DeliveryStats {
  readonly #byIntegration = new Map<string, IntegrationStats>();

  record(integration: string, last: LastDelivery): void {
    let stats = this.#byIntegration.get(integration);
    if (!stats) {
      stats = {
        counts: { delivered: 0, retried: 0, "dead-lettered": 0, skipped: 0 },
        last: undefined,
      };
      this.#byIntegration.set(integration, stats);
    }
    stats.counts[last.outcome] += 1;
    stats.last = last;
  }

  get(integration: string): IntegrationStats | undefined {
    return this.#byIntegration.get(integration);
  }
}

/** Counts one delivery outcome where operators look: the metric and the status page. */
export function countOutcome(
  sinks: { metrics: Metrics; stats: DeliveryStats },
  integration: string,
  last: LastDelivery,
): void {
  sinks.metrics.deliveries.inc({ integration, outcome: last.outcome });
  sinks.stats.record(integration, last);
}
