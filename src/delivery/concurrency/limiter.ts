/**
 * Per-integration concurrency caps for deliveries (SPEC section 4, isolation):
 * `maxInFlight`, which never blocks. (The global caps, `--max-in-flight` on the events in
 * progress and on the requests in flight, are `intake.ts` and `request-slots.ts`.)
 *
 * A busy integration must not hold up the others, so `acquire` lets work wait in line only
 * while the integration keeps pace; otherwise it answers `false` at once and the caller
 * parks that delivery elsewhere (the delivery stream).
 *
 * Hot path: one record per integration, found with one Map lookup, and no allocation; only
 * a caller that waits in a line gets a Promise.
 */

import { takeExpired } from "./wait-ends.js";

/** A release without a matching acquire: a bug in the caller that would break the caps. */
export class LimiterError extends Error {
  override name = "LimiterError";
}

export interface Limiter {
  /**
   * Takes a slot for `key`, or a place in its line: `true` when taken at once, a Promise
   * that resolves `true` when the slot is handed over, or `false` (at once, or after
   * `maxLineWaitMs` in line) when the caller should park the work elsewhere instead of
   * waiting. A fast integration's line is only bounded by the caller's own caps (waiting is
   * back-pressure); a slow or stalled one's line holds at most `maxWaitMs` of work, going by
   * its recent attempt durations; and no one waits in a line longer than `maxLineWaitMs`,
   * as the line of a receiver that stopped answering does not move.
   */
  acquire(key: string, keyMax: number, nowMs: number): true | Promise<boolean> | false;
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
  /**
   * Resolves every `whenRoom` Promise, so that its caller asks again with the caps now in
   * force: a new configuration may raise an integration's `maxInFlight`, which makes room
   * without any release.
   */
  capsChanged(): void;
  /** In-flight count for `key`. */
  inFlight(key: string): number;
}

export interface LimiterOptions {
  /** How much queued work (in time) an integration's line may hold. */
  maxWaitMs?: number;
  /** How long anyone waits in a line before being told to park (default 250 ms). */
  maxLineWaitMs?: number;
}

/**
 * Work in a line holds its event (and the event's place among those in progress) until it
 * moves. A receiver that stops answering is judged stalled only after `STALL_MS`; until
 * then its line may grow, and what is in it must not wait for its requests' timeouts.
 */
const DEFAULT_MAX_LINE_WAIT_MS = 250;

/** Work waiting for a slot: told `true` when handed one, `false` when it should park. */
interface InLine {
  resolve(taken: boolean): void;
  /** When it began to wait (monotonic ms). */
  since: number;
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

function wakeRoomWaiters(state: KeyState): void {
  if (state.roomWaiters.length === 0) return;
  const waiting = state.roomWaiters;
  state.roomWaiters = [];
  for (const resolve of waiting) resolve();
}

/** What the limiter knows of one integration. */
interface KeyState {
  inFlight: number;
  /** Work waiting for a slot, first come, first served. */
  line: InLine[];
  /** Tells the line's oldest to park once it waited `maxLineWaitMs`; set while anyone waits. */
  lineTimer: NodeJS.Timeout | undefined;
  /** Callers of `whenRoom` waiting for a free slot. */
  roomWaiters: (() => void)[];
  /** Moving average of recent attempt durations; undefined before the first. */
  averageMs: number | undefined;
  observed: number;
  /** When an attempt last ended (0: never). */
  lastEndedMs: number;
  /** When the integration last became full; undefined until it first did. */
  saturatedAtMs: number | undefined;
  /** The last turn handed out by `nextTurnMs`. */
  turnMs: number | undefined;
}

export function createLimiter(options: LimiterOptions = {}): Limiter {
  const states = new Map<string, KeyState>();
  const stateOf = (key: string): KeyState => {
    let state = states.get(key);
    if (!state) {
      state = {
        inFlight: 0,
        line: [],
        lineTimer: undefined,
        roomWaiters: [],
        averageMs: undefined,
        observed: 0,
        lastEndedMs: 0,
        saturatedAtMs: undefined,
        turnMs: undefined,
      };
      states.set(key, state);
    }
    return state;
  };
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
    for (const [key, state] of states) {
      const average = state.averageMs;
      if (average === undefined) continue;
      const warm = state.observed >= WARM_UP_ATTEMPTS;
      const active = nowMs - state.lastEndedMs < ACTIVE_MS;
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
  const maxLineWaitMs = options.maxLineWaitMs ?? DEFAULT_MAX_LINE_WAIT_MS;

  /** One timer per line, for its oldest: lines are first come, first served. */
  const armLineTimer = (state: KeyState) => {
    const oldest = state.line[0];
    if (state.lineTimer !== undefined || oldest === undefined) return;
    const due = Math.max(0, oldest.since + maxLineWaitMs - performance.now());
    state.lineTimer = setTimeout(() => {
      state.lineTimer = undefined;
      for (const work of takeExpired(state.line, maxLineWaitMs, performance.now())) {
        work.resolve(false);
      }
      armLineTimer(state);
    }, due);
    state.lineTimer.unref();
  };

  /** Innocent until proven slow: an integration is judged by its answers, or their absence. */
  const roomFor = (key: string, state: KeyState, keyMax: number, nowMs: number) => {
    const perAttempt = state.observed >= WARM_UP_ATTEMPTS ? state.averageMs : undefined;
    const progress = Math.max(state.lastEndedMs, state.saturatedAtMs ?? nowMs);
    const stalled = nowMs - progress > STALL_MS;
    const slow = perAttempt !== undefined && isSlow(key, perAttempt, nowMs);
    if (!stalled && !slow) return MAX_LINE;
    const expected = state.averageMs ?? ASSUMED_DURATION_MS;
    return Math.min(MAX_LINE, Math.floor((maxWaitMs / expected) * keyMax));
  };

  return {
    acquire(key, keyMax, nowMs) {
      const state = stateOf(key);
      if (state.inFlight < keyMax) {
        state.inFlight += 1;
        if (state.inFlight === keyMax) state.saturatedAtMs = nowMs;
        return true;
      }
      if (state.line.length >= roomFor(key, state, keyMax, nowMs)) return false;
      return new Promise<boolean>((resolve) => {
        state.line.push({ resolve, since: performance.now() });
        armLineTimer(state);
      });
    },
    nextTurnMs(key, keyMax, nowMs) {
      const state = stateOf(key);
      const pace = (state.averageMs ?? ASSUMED_DURATION_MS) / keyMax;
      const turn = Math.max(nowMs, state.turnMs ?? nowMs) + pace;
      state.turnMs = turn;
      return Math.ceil(turn - nowMs);
    },
    observe(key, durationMs, nowMs) {
      const state = stateOf(key);
      state.lastEndedMs = nowMs;
      state.observed += 1;
      // Moving averages that follow a receiver slowing down within a few attempts.
      const previous = state.averageMs;
      const average = previous === undefined ? durationMs : previous * 0.8 + durationMs * 0.2;
      state.averageMs = average;
      if (state.observed >= WARM_UP_ATTEMPTS && (average < fastest.value || key === fastest.key)) {
        fastest.value = average;
        fastest.key = key;
      }
    },
    release(key) {
      const state = states.get(key);
      if (!state || state.inFlight <= 0) {
        throw new LimiterError(`release("${key}") without a matching acquire`);
      }
      const next = state.line.shift();
      if (next) {
        next.resolve(true); // the slot passes to the next in line: the count stays the same
        return;
      }
      state.inFlight -= 1;
      wakeRoomWaiters(state);
    },
    whenRoom(key, keyMax) {
      const state = stateOf(key);
      const free = keyMax - state.inFlight;
      if (free > 0 && state.line.length === 0) return free;
      return new Promise<void>((resolve) => state.roomWaiters.push(resolve));
    },
    capsChanged() {
      for (const state of states.values()) wakeRoomWaiters(state);
    },
    inFlight(key) {
      return states.get(key)?.inFlight ?? 0;
    },
  };
}
