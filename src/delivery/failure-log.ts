/**
 * When to tell an operator that an integration's webhooks fail, and that they work again:
 * a warning at the first failure, then at most one per interval while failures go on
 * (saying how many came in between), and one line at the first delivery after a warning.
 * A receiver that fails now and then costs at most two lines per interval, not one per
 * flip between failing and delivering. Pure: the caller passes the time.
 */
interface Entry {
  warnedAt: number;
  /** Failures since the last warning that no warning mentioned. */
  unreported: number;
  /** A warning was given and nothing was delivered since. */
  open: boolean;
}

export class FailureLog {
  readonly #intervalMs: number;
  readonly #byName = new Map<string, Entry>();
  /** Entries with `open` set: zero on the common path, which then costs one comparison. */
  #open = 0;

  constructor(intervalMs = 60_000) {
    this.#intervalMs = intervalMs;
  }

  /** A failed attempt at `nowMs`: the warning to log, or undefined within the interval. */
  failed(name: string, what: string, nowMs: number): string | undefined {
    const entry = this.#byName.get(name);
    if (entry && nowMs - entry.warnedAt < this.#intervalMs) {
      entry.unreported++;
      return undefined;
    }
    const more = entry?.unreported ? `; ${entry.unreported} more since the last warning` : "";
    if (!entry?.open) this.#open++;
    this.#byName.set(name, { warnedAt: nowMs, unreported: 0, open: true });
    return `webhooks to ${name} are failing (${what}${more}); logged again once one is delivered`;
  }

  /** A delivery: the line to log when a warning about this integration is open. */
  delivered(name: string): string | undefined {
    if (this.#open === 0) return undefined;
    const entry = this.#byName.get(name);
    if (!entry?.open) return undefined;
    entry.open = false;
    this.#open--;
    return `webhooks to ${name} are delivered again`;
  }
}
