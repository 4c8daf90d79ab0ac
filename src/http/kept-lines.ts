/**
 * A counter family written per integration at scrape time (delivery-counter.ts,
 * attempt-counter.ts): each integration's lines are kept until its counts change, so that a
 * scrape of 10,000 integrations writes again only those that moved, and a removed
 * integration's lines go with it.
 */
import { inPieces } from "./exposition.js";

export interface CountsForm<C> {
  /** The counts as numbers in a fixed order, to tell later whether they changed. */
  snapshot(counts: C): readonly number[];
  /** Whether `counts` are those of `written` (a snapshot). */
  same(written: readonly number[], counts: C): boolean;
  /** The integration's lines, without the last line feed. */
  lines(integration: string, counts: C): string;
}

interface Written {
  readonly counts: readonly number[];
  readonly lines: string;
}

export class KeptLines<C> {
  readonly #form: CountsForm<C>;
  #written = new Map<string, Written>();

  constructor(form: CountsForm<C>) {
    this.#form = form;
  }

  /** `header`, then the lines of the integrations counted now, in pieces (see inPieces). */
  pieces(header: string, counted: readonly (readonly [string, C])[]): Iterable<string> {
    const form = this.#form;
    const before = this.#written;
    const written = new Map<string, Written>();
    this.#written = written;
    return inPieces(header, counted, ([integration, counts]) => {
      let kept = before.get(integration);
      if (kept === undefined || !form.same(kept.counts, counts)) {
        kept = { counts: form.snapshot(counts), lines: form.lines(integration, counts) };
      }
      written.set(integration, kept);
      return kept.lines;
    });
  }
}
