/**
 * A histogram with one label, `integration`, for the duration of every HTTP attempt.
 *
 * prom-client's Histogram validates and hashes its labels on every observation (its issue
 * #38, open since 2016), which here was 1.7% of a drain's instructions
 * (`npm run bench:instructions`), and formats all its lines on every scrape. This one keeps
 * each integration's bucket counts in an array and its lines until it observes again, and
 * writes the text prom-client's Histogram would: `test/http/duration-histogram.test.ts`
 * holds the two to the same text.
 */
import { familyHeader, inPieces, labelValue, sampleValue, type TextFamily } from "./exposition.js";

interface Series {
  /** Observations per bucket (not cumulative), beyond the last bound not counted here. */
  readonly inBucket: number[];
  sum: number;
  count: number;
  /** Its lines as last written, until it observes again. */
  lines: string | undefined;
}

export interface DurationHistogramOptions {
  name: string;
  help: string;
  /** Upper bounds in seconds, ascending. */
  buckets: readonly number[];
}

export class DurationHistogram implements TextFamily {
  readonly name: string;
  readonly #header: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Series>();

  constructor(options: DurationHistogramOptions) {
    this.name = options.name;
    this.#header = familyHeader(options.name, options.help, "histogram");
    this.#bounds = [...options.buckets];
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
      series = { inBucket: this.#bounds.map(() => 0), sum: 0, count: 0, lines: undefined };
      this.#series.set(integration, series);
    }
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
    if (bucket < bounds.length) series.inBucket[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
    series.lines = undefined;
  }

  /** Cumulative buckets, `+Inf`, sum and count per integration. */
  pieces(): Iterable<string> {
    return inPieces(this.#header, [...this.#series], ([integration, series]) => {
      series.lines ??= this.#lines(integration, series);
      return series.lines;
    });
  }

  #lines(integration: string, series: Series): string {
    const label = `integration="${labelValue(integration)}"`;
    const bucket = `${this.name}_bucket`;
    const lines: string[] = [];
    let cumulative = 0;
    this.#bounds.forEach((le, i) => {
      cumulative += series.inBucket[i]!;
      lines.push(`${bucket}{le="${le}",${label}} ${cumulative}`);
    });
    lines.push(
      `${bucket}{le="+Inf",${label}} ${series.count}`,
      `${this.name}_sum{${label}} ${sampleValue(series.sum)}`,
      `${this.name}_count{${label}} ${series.count}`,
    );
    return lines.join("\n");
  }
}
