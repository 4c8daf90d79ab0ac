/**
 * `hookswitch_attempts_total`, read when scraped from the delivery figures, as
 * `hookswitch_deliveries_total` is (delivery-counter.ts): by integration and result
 * (delivery/attempt-result.ts). A result appears once it happens; each integration's lines
 * are kept until its counts change.
 */
import { ATTEMPT_RESULTS } from "../delivery/attempt-result.js";
import { familyHeader, inPieces, labelValue, type TextFamily } from "./exposition.js";

export type AttemptResultCounts = () => Iterable<[integration: string, results: readonly number[]]>;

interface Written {
  readonly counts: readonly number[];
  readonly lines: string;
}

export class AttemptCounter implements TextFamily {
  readonly name = "hookswitch_attempts_total";
  readonly #header = familyHeader(
    this.name,
    "HTTP attempts by integration and result: the answer's class (2xx, 3xx, 4xx, 429, 5xx), why no answer came (timeout, connection, dns, tls, invalid_answer), or why nothing was sent (egress_denied, not_sent)",
    "counter",
  );
  readonly #counts: AttemptResultCounts;
  #written = new Map<string, Written>();

  constructor(counts: AttemptResultCounts) {
    this.#counts = counts;
  }

  pieces(): Iterable<string> {
    // An integration that has only skipped deliveries has no attempt to show.
    const counted = [...this.#counts()].filter(([, results]) => results.some((n) => n > 0));
    const before = this.#written;
    const written = new Map<string, Written>();
    this.#written = written;
    return inPieces(this.#header, counted, ([integration, results]) => {
      let kept = before.get(integration);
      if (kept === undefined || !sameCounts(kept.counts, results)) {
        kept = write(this.name, integration, results);
      }
      written.set(integration, kept);
      return kept.lines;
    });
  }
}

function write(name: string, integration: string, results: readonly number[]): Written {
  const label = `integration="${labelValue(integration)}"`;
  const lines = ATTEMPT_RESULTS.flatMap((result, i) =>
    results[i]! > 0 ? [`${name}{${label},result="${result}"} ${results[i]}`] : [],
  );
  return { counts: [...results], lines: lines.join("\n") };
}

function sameCounts(a: readonly number[], b: readonly number[]): boolean {
  return a.every((n, i) => n === b[i]);
}
