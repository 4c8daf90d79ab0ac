/**
 * A histogram with one label, `integration`, for the duration of every HTTP attempt.
 *
 * prom-client's Histogram validates and hashes its labels on every observation (its issue
 * #38, open since 2016), which here was 1.7% of a drain's instructions
 * (`npm run bench:instructions`). This one keeps each integration's bucket counts in an
 * array, and gives prom-client's registry, at scrape time, the values its own Histogram
 * would: `test/http/duration-histogram.test.ts` holds the two to the same text.
 */
import type { Histogram, Registry } from "prom-client";

interface Series {
  /** Observations per bucket (not cumulative), beyond the last bound not counted here. */
  readonly inBucket: number[];
  sum: number;
  count: number;
}

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export interface DurationHistogramOptions {
  name: string;
  help: string;
  /** Upper bounds in seconds, ascending. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

export class DurationHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Series>();

  constructor(options: DurationHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets];
    // The registry asks a metric for `get()` (and `reset()`), which this one answers as a
    // prom-client Histogram does; its types only name prom-client's own classes.
    for (const registry of options.registers) {
      registry.registerMetric(this as unknown as Histogram);
    }
  }

  /** The integrations that have series. */
  integrations(): IterableIterator<string> {
    return this.#series.keys();
  }

  /** Drops an integration's series (it was removed a while ago). */
  forget(integration: string): void {
    this.#series.delete(integration);
  }

  /** One attempt of `integration` that took `seconds`; a value that is not finite is left out. */
  observe(integration: string, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    let series = this.#series.get(integration);
    if (!series) {
      series = { inBucket: this.#bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(integration, series);
    }
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
    if (bucket < bounds.length) series.inBucket[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** What the registry formats: cumulative buckets, `+Inf`, sum and count per integration. */
  get() {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const [integration, series] of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += series.inBucket[i]!;
        values.push({ metricName: bucketName, labels: { le, integration }, value: cumulative });
      });
      values.push(
        { metricName: bucketName, labels: { le: "+Inf", integration }, value: series.count },
        { metricName: `${this.name}_sum`, labels: { integration }, value: series.sum },
        { metricName: `${this.name}_count`, labels: { integration }, value: series.count },
      );
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.#series.clear();
  }
}
