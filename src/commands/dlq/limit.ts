/**
 * `dlq list --limit N`: the oldest N dead letters. After an outage the queue may hold
 * hundreds of thousands, and a look at the first few should not read them all.
 */
import { countOf } from "../options/counts.js";
import type { OptionNamer } from "../options/env-flags.js";

/** The limit given, or undefined for none; a usage error names the flag or variable. */
export function parseLimit(text: string | undefined, named: OptionNamer): number | undefined {
  return text === undefined ? undefined : countOf(named("--limit"), text);
}

export interface Limited<T> {
  records: AsyncIterable<T>;
  /** Once `records` is read to its end: whether the limit left records out. */
  readonly more: () => boolean;
}

/**
 * The first `limit` records. One more is read to know whether any was left out; reading
 * then stops, which ends the reading underneath.
 */
export function firstOf<T>(records: AsyncIterable<T>, limit: number | undefined): Limited<T> {
  if (limit === undefined) return { records, more: () => false };
  let more = false;
  async function* first(): AsyncGenerator<T> {
    let taken = 0;
    for await (const record of records) {
      if (taken === limit) {
        more = true;
        return;
      }
      taken++;
      yield record;
    }
  }
  return { records: first(), more: () => more };
}

/** Said on stderr, so that stdout stays the table or a whole JSON array. */
export function limitNote(limit: number): string {
  return (
    `more dead letters follow: --limit ${limit} listed the oldest ${limit}; ` +
    "list the rest with a larger --limit, or without it\n"
  );
}
