/**
 * Per-integration delivery figures for the status page, /api/integrations and the
 * `hookswitch_deliveries_total` counter, which is set from them when scraped: a
 * delivery is counted once, and the page and the metric cannot disagree.
 * In memory and per replica: Prometheus has the durable, fleet-wide view.
 */
import { ATTEMPT_RESULTS } from "./attempt-result.js";

export type DeliveryOutcome = "delivered" | "retried" | "dead-lettered" | "skipped";
export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = [
  "delivered",
  "retried",
  "dead-lettered",
  "skipped",
];
/** The counts of an integration without deliveries; copy it before counting. */
export const NO_COUNTS: Readonly<Record<DeliveryOutcome, number>> = Object.freeze({
  delivered: 0,
  retried: 0,
  "dead-lettered": 0,
  skipped: 0,
});

export interface LastDelivery {
  at: string;
  outcome: DeliveryOutcome;
  status: number | null;
  error: string | null;
}

export interface IntegrationStats {
  counts: Record<DeliveryOutcome, number>;
  last: LastDelivery | undefined;
  /** Attempts by result, in ATTEMPT_RESULTS' order. */
  results: number[];
}

export class DeliveryStats {
  readonly #byIntegration = new Map<string, IntegrationStats>();

  /** Counts a delivery's outcome, and the result of the attempt that came to it, if any. */
  record(integration: string, last: LastDelivery, attemptResult?: number): void {
    let stats = this.#byIntegration.get(integration);
    if (!stats) {
      stats = {
        counts: { ...NO_COUNTS },
        last: undefined,
        results: new Array<number>(ATTEMPT_RESULTS.length).fill(0),
      };
      this.#byIntegration.set(integration, stats);
    }
    stats.counts[last.outcome] += 1;
    stats.last = last;
    if (attemptResult !== undefined) stats.results[attemptResult]! += 1;
  }

  get(integration: string): IntegrationStats | undefined {
    return this.#byIntegration.get(integration);
  }

  /** Drops an integration's figures (it was removed a while ago). */
  forget(integration: string): void {
    this.#byIntegration.delete(integration);
  }

  /** Every integration with a delivery outcome so far, and its counts. */
  *counts(): IterableIterator<[integration: string, counts: IntegrationStats["counts"]]> {
    for (const [integration, stats] of this.#byIntegration) yield [integration, stats.counts];
  }

  /** Every integration with an attempt so far, and its attempts by result. */
  *attemptResults(): IterableIterator<[integration: string, results: readonly number[]]> {
    for (const [integration, stats] of this.#byIntegration) yield [integration, stats.results];
  }

  /** As `counts`, then each of `loaded` that has none yet, at zero. */
  *countsWith(
    loaded: Iterable<string>,
  ): IterableIterator<[integration: string, counts: IntegrationStats["counts"]]> {
    yield* this.counts();
    for (const name of loaded) if (!this.#byIntegration.has(name)) yield [name, NO_COUNTS];
  }
}
