/**
 * When to tell an operator that an integration's webhooks fail, and that they work again:
 * a warning at the first failure, then at most one per interval while failures go on
 * (saying how many came in between), and one line at the first delivery after a warning.
 * A receiver that fails now and then costs at most two lines per interval, not one per
 * flip between failing and delivering. Pure: the caller passes the time.
 */
export class FailureLog {
  readonly #intervalMs: number;
  /** The interval as the warning says it. */
  readonly #every: string;
  /** Per integration: when it was last warned about, and the failures since not mentioned. */
  readonly #warned = new Map<string, { at: number; unreported: number }>();
  /** Integrations warned about with nothing delivered since. */
  readonly #open = new Set<string>();

  constructor(intervalMs = 60_000) {
    this.#intervalMs = intervalMs;
    this.#every = intervalMs === 60_000 ? "a minute" : `every ${intervalMs / 1000} s`;
  }

  /** A failed attempt at `nowMs`: the warning to log, or undefined within the interval. */
  failed(name: string, nowMs: number, what: () => string): string | undefined {
    const last = this.#warned.get(name);
    if (last && nowMs - last.at < this.#intervalMs) {
      last.unreported++;
      return undefined;
    }
    const more = last?.unreported ? `; ${last.unreported} more since the last warning` : "";
    this.#warned.set(name, { at: nowMs, unreported: 0 });
    this.#open.add(name);
    return (
      `webhooks to ${name} are failing (${what()}${more}); warned of again at most once ` +
      `${this.#every} while they fail, and said once one is delivered`
    );
  }

  /** A delivery: the line to log when a warning about this integration is open. */
  delivered(name: string): string | undefined {
    if (this.#open.size === 0 || !this.#open.delete(name)) return undefined;
    return `webhooks to ${name} are delivered again`;
  }

  /**
   * Drops what it keeps of an integration removed a while ago. Safe with attempts still
   * going: the worst is a warning at its next failure as at a first one.
   */
  forget(name: string): void {
    this.#warned.delete(name);
    this.#open.delete(name);
  }

  /** How many integrations it keeps something for. */
  get size(): number {
    return this.#warned.size;
  }
}
