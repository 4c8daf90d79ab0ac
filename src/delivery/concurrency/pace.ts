/**
 * How fast each integration's receiver answers, and which one is slow beside the others:
 * the per-integration limiter shortens a slow receiver's line so that its excess is parked
 * instead of holding events that other integrations could take.
 */

/** An integration's recent attempts, kept in the limiter's record for it. */
export interface Pace {
  /** Moving average of recent attempt durations; undefined before the first. */
  averageMs: number | undefined;
  observed: number;
  /** When an attempt last ended (0: never). */
  lastEndedMs: number;
}

/**
 * The first attempts of a burst also pay for connections and a busy event loop: the
 * average counts only after this many.
 */
export const WARM_UP_ATTEMPTS = 8;
/**
 * An integration is slow when its attempts take more than this many times as long as
 * those of the fastest other integration active lately, and at least `SLOW_MARGIN_MS`
 * longer. Relative, and by a margin, because under load hookswitch's own busy event loop
 * adds the same tens of milliseconds to every attempt: a 50 ms receiver beside a 1 ms one
 * can measure 75 against 28. Only a receiver slower than the others loses its line (with
 * one integration, nobody needs it).
 */
const SLOW_FACTOR = 2;
const SLOW_MARGIN_MS = 15;
/** Integrations count as active lately when an attempt ended this recently. */
const ACTIVE_MS = 60_000;
/** How often the fastest average is looked for again (a pass over every integration). */
const FASTEST_REFRESH_MS = 1_000;

export function emptyPace(): Pace {
  return { averageMs: undefined, observed: 0, lastEndedMs: 0 };
}

/** The average once warmed up, undefined before. */
export function warmAverageMs(pace: Pace): number | undefined {
  return pace.observed >= WARM_UP_ATTEMPTS ? pace.averageMs : undefined;
}

/**
 * The fastest integration active lately, and whether another is slow beside it. A pass
 * over every integration finds it once a second; in between, `observe` keeps its figure
 * current and takes over any integration that gets faster, so a slow receiver is told
 * apart as soon as the others' first attempts of a burst (connecting, a busy event loop)
 * are behind them.
 */
export class PaceJudge {
  #fastestMs = Infinity;
  #fastestKey: string | undefined;
  #foundAt = -Infinity;
  readonly #paces: ReadonlyMap<string, Pace>;

  constructor(paces: ReadonlyMap<string, Pace>) {
    this.#paces = paces;
  }

  /** Feeds the duration of an attempt of `key` that just ended. */
  observe(key: string, pace: Pace, durationMs: number, nowMs: number): void {
    pace.lastEndedMs = nowMs;
    pace.observed += 1;
    // Moving averages that follow a receiver slowing down within a few attempts.
    const previous = pace.averageMs;
    const average = previous === undefined ? durationMs : previous * 0.8 + durationMs * 0.2;
    pace.averageMs = average;
    if (
      pace.observed >= WARM_UP_ATTEMPTS &&
      (average < this.#fastestMs || key === this.#fastestKey)
    ) {
      this.#fastestMs = average;
      this.#fastestKey = key;
    }
  }

  /** Never against itself: an integration on its own has nobody to be slow for. */
  isSlow(key: string, perAttemptMs: number, nowMs: number): boolean {
    this.#refresh(nowMs);
    const fastest = this.#fastestMs;
    return (
      this.#fastestKey !== key &&
      perAttemptMs > SLOW_FACTOR * fastest &&
      perAttemptMs - fastest > SLOW_MARGIN_MS
    );
  }

  #refresh(nowMs: number): void {
    if (nowMs - this.#foundAt < FASTEST_REFRESH_MS) return;
    this.#fastestMs = Infinity;
    this.#fastestKey = undefined;
    this.#foundAt = nowMs;
    for (const [key, pace] of this.#paces) {
      const average = warmAverageMs(pace);
      const active = nowMs - pace.lastEndedMs < ACTIVE_MS;
      if (average !== undefined && active && average < this.#fastestMs) {
        this.#fastestMs = average;
        this.#fastestKey = key;
      }
    }
  }
}
