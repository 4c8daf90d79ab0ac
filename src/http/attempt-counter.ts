/**
 * `hookswitch_attempts_total`, read when scraped from the delivery figures, as
 * `hookswitch_deliveries_total` is (delivery-counter.ts): by integration and result
 * (delivery/attempt-result.ts). A result appears once it happens; each integration's lines
 * are kept until its counts change.
 */
import { ATTEMPT_RESULTS } from "../delivery/attempt-result.js";
import { familyHeader, labelValue, type TextFamily } from "./exposition.js";
import { KeptLines } from "./kept-lines.js";

export type AttemptResultCounts = () => Iterable<[integration: string, results: readonly number[]]>;

export class AttemptCounter implements TextFamily {
  readonly name = "hookswitch_attempts_total";
  readonly #header = familyHeader(
    this.name,
    "HTTP attempts by integration and result: the answer's class (2xx, 3xx, 4xx, 429, 5xx), why no answer came (timeout, connection, dns, tls, invalid_answer), or why nothing was sent (egress_denied, not_sent)",
    "counter",
  );
  readonly #counts: AttemptResultCounts;
  readonly #kept = new KeptLines<readonly number[]>({
    snapshot: (results) => [...results],
    same: (written, results) => written.every((n, i) => n === results[i]),
    lines: (integration, results) => this.#lines(integration, results),
  });

  constructor(counts: AttemptResultCounts) {
    this.#counts = counts;
  }

  pieces(): Iterable<string> {
    // An integration that has only skipped deliveries has no attempt to show.
    const counted = [...this.#counts()].filter(([, results]) => results.some((n) => n > 0));
    return this.#kept.pieces(this.#header, counted);
  }

  #lines(integration: string, results: readonly number[]): string {
    const label = `integration="${labelValue(integration)}"`;
    return ATTEMPT_RESULTS.flatMap((result, i) =>
      results[i]! > 0 ? [`${this.name}{${label},result="${result}"} ${results[i]}`] : [],
    ).join("\n");
  }
}
