/**
 * Per-integration concurrency caps for deliveries (SPEC section 4, isolation):
 * `maxInFlight`, which never blocks. (The global caps, `--max-in-flight` on the events in
 * progress and on the requests in flight, are plain semaphores: `semaphore.ts`.)
 *
 * A busy integration must not hold up the others, so `acquire` lets work wait in line only
 * while the integration keeps pace; otherwise it answers `false` at once and the caller
 * parks that delivery elsewhere (the delivery stream).
 *
 * Hot path: counters in a Map and no allocation; only a caller that waits in a line gets a
 * Promise.
 */

/** A release without a matching acquire: a bug in the caller that would break the caps. */
export class LimiterError extends Error {
  override name = "LimiterError";
}

export interface Limiter {
  /**
   * Takes a slot for `key`, or a place in its line: `true` when taken at once, a Promise
   * that resolves when the slot is handed over, or `false` when the caller should park the
   * work elsewhere instead of waiting. A fast integration's line is only bounded by the
   * caller's own caps (waiting is back-pressure); a slow or stalled one's line holds at
   * most `maxWaitMs` of work, going by its recent attempt durations.
   */
  acquire(key: string, keyMax: number, nowMs: number): true | Promise<void> | false;
  /** Feeds the duration of an attempt of `key` that just ended. */
  observe(key: string, durationMs: number, nowMs: number): void;
  /**
   * For work that found `key` saturated: how long to park it so that it comes back about
   * when the integration can take it. Successive calls hand out successive turns at the
   * integration's pace, so a deep backlog is looked at about once, not polled.
   */
  nextTurnMs(key: string, keyMax: number, nowMs: number): number;
  /** Gives back a slot taken by `acquire`, handing it to the line if any. */
  release(key: string): void;
  /**
   * Free slots of `key` (none while anyone waits in its line): `keyMax - in flight` when
   * some are free, otherwise a Promise that resolves when a release frees one. For work
   * kept elsewhere that should only be read when it can run at once.
   */
  whenRoom(key: string, keyMax: number): number | Promise<void>;
  /** In-flight count for `key`. */
  inFlight(key: string): number;
}

export interface LimiterOptions {
  /** How much queued work (in time) an integration's line may hold. */
  maxWaitMs?: number;
}

/** An integration that never answered yet and is stalled is assumed to take this. */
const ASSUMED_DURATION_MS = 20;
/**
 * Work waiting in an integration's line holds its event (and a global slot) meanwhile:
 * keep the wait short, so that a slow integration's excess goes to the delivery stream
 * and the events of the others keep moving.
 */
const DEFAULT_MAX_WAIT_MS = 25;
/** However fast an integration, its line never holds more than this. */
const MAX_LINE = 4_096;
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
/**
 * The first attempts of a burst also pay for connections and a busy event loop: the
 * average counts only after this many.
 */
const WARM_UP_ATTEMPTS = 8;
/**
 * A saturated integration with no attempt ending for this long is stalled, not fast. Long
 * enough that hookswitch's own busy event loop (a large batch being parsed) does not count.
 */
const STALL_MS = 1_000;

export function createLimiter(options: LimiterOptions = {}): Limiter {
  const perKey = new Map<string, number>();
  const lines = new Map<string, (() => void)[]>();
  const roomWaiters = new Map<string, (() => void)[]>();
  const durations = new Map<string, number>();
  const turns = new Map<string, number>();
  const lastEnded = new Map<string, number>();
  const observed = new Map<string, number>();
  const saturatedAt = new Map<string, number>();
  let fastest: { value: number; key: string | undefined; at: number } = {
    value: Infinity,
    key: undefined,
    at: -Infinity,
  };
  /**
   * The fastest integration active lately and its average. A pass over every integration
   * finds it once a second; in between, `observe` keeps its figure current and takes over
   * any integration that gets faster, so a slow receiver is told apart as soon as the
   * others' first attempts of a burst (connecting, a busy event loop) are behind them.
   */
  const fastestActive = (nowMs: number) => {
    if (nowMs - fastest.at < FASTEST_REFRESH_MS) return fastest;
    fastest = { value: Infinity, key: undefined, at: nowMs };
    for (const [key, average] of durations) {
      const warm = (observed.get(key) ?? 0) >= WARM_UP_ATTEMPTS;
      const active = nowMs - (lastEnded.get(key) ?? 0) < ACTIVE_MS;
      if (warm && active && average < fastest.value) fastest = { value: average, key, at: nowMs };
    }
    return fastest;
  };
  /** Never against itself: an integration on its own has nobody to be slow for. */
  const isSlow = (key: string, perAttempt: number, nowMs: number) => {
    const { value, key: fastestKey } = fastestActive(nowMs);
    return (
      fastestKey !== key && perAttempt > SLOW_FACTOR * value && perAttempt - value > SLOW_MARGIN_MS
    );
  };
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;

  /** Innocent until proven slow: an integration is judged by its answers, or their absence. */
  const roomFor = (key: string, keyMax: number, nowMs: number) => {
    const perAttempt =
      (observed.get(key) ?? 0) >= WARM_UP_ATTEMPTS ? durations.get(key) : undefined;
    const progress = Math.max(lastEnded.get(key) ?? 0, saturatedAt.get(key) ?? nowMs);
    const stalled = nowMs - progress > STALL_MS;
    const slow = perAttempt !== undefined && isSlow(key, perAttempt, nowMs);
    if (!stalled && !slow) return MAX_LINE;
    const expected = durations.get(key) ?? ASSUMED_DURATION_MS;
    return Math.min(MAX_LINE, Math.floor((maxWaitMs / expected) * keyMax));
  };

  const wakeRoomWaiters = (key: string) => {
    const waiting = roomWaiters.get(key);
    if (!waiting) return;
    roomWaiters.delete(key);
    for (const resolve of waiting) resolve();
  };

  return {
    acquire(key, keyMax, nowMs) {
      const current = perKey.get(key) ?? 0;
      if (current < keyMax) {
        perKey.set(key, current + 1);
        if (current + 1 === keyMax) saturatedAt.set(key, nowMs);
        return true;
      }
      const line = lines.get(key) ?? [];
      if (line.length >= roomFor(key, keyMax, nowMs)) return false;
      lines.set(key, line);
      return new Promise<void>((resolve) => line.push(resolve));
    },
    nextTurnMs(key, keyMax, nowMs) {
      const pace = (durations.get(key) ?? ASSUMED_DURATION_MS) / keyMax;
      const turn = Math.max(nowMs, turns.get(key) ?? nowMs) + pace;
      turns.set(key, turn);
      return Math.ceil(turn - nowMs);
    },
    observe(key, durationMs, nowMs) {
      lastEnded.set(key, nowMs);
      const count = (observed.get(key) ?? 0) + 1;
      observed.set(key, count);
      // Moving averages that follow a receiver slowing down within a few attempts.
      const previous = durations.get(key);
      const average = previous === undefined ? durationMs : previous * 0.8 + durationMs * 0.2;
      durations.set(key, average);
      if (count >= WARM_UP_ATTEMPTS && (average < fastest.value || key === fastest.key)) {
        fastest.value = average;
        fastest.key = key;
      }
    },
    release(key) {
      const current = perKey.get(key) ?? 0;
      if (current <= 0) throw new LimiterError(`release("${key}") without a matching acquire`);
      const next = lines.get(key)?.shift();
      if (next) {
        next(); // the slot passes to the next in line: the count stays the same
        return;
      }
      if (current === 1) perKey.delete(key);
      else perKey.set(key, current - 1);
      if (roomWaiters.size > 0) wakeRoomWaiters(key);
    },
    whenRoom(key, keyMax) {
      const free = keyMax - (perKey.get(key) ?? 0);
      if (free > 0 && !lines.get(key)?.length) return free;
      const waiting = roomWaiters.get(key) ?? [];
      roomWaiters.set(key, waiting);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    inFlight(key) {
      return perKey.get(key) ?? 0;
    },
  };
}
