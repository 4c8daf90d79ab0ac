/**
 * Per-integration concurrency caps for deliveries (docs/operating.md, "Slow and silent
 * receivers"): `maxInFlight`, which never blocks. (The global caps, `--max-in-flight` on the
 * events in progress and on the requests in flight, are `intake.ts` and `request-slots.ts`.)
 *
 * A busy integration must not hold up the others, so `acquire` lets work wait in line only
 * while the integration keeps pace; otherwise it answers `false` at once and the caller
 * parks that delivery elsewhere (the delivery stream). So it does, for a while, when the
 * integration's receiver asked for a pause (`hold`, from a `Retry-After`).
 *
 * Hot path: one record per integration, found with one Map lookup, and no allocation; only
 * a caller that waits in a line gets a Promise.
 */

import { emptyPace, PaceJudge, warmAverageMs, type Pace } from "./pace.js";
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
   * Holds `key`'s new requests back until `untilMs` (a receiver's `Retry-After`): `acquire`
   * answers `false`, its line is told to park, and turns and room start after it. Returns
   * whether it was not held at `nowMs` (a hold that begins, not one that is extended).
   */
  hold(key: string, untilMs: number, nowMs: number): boolean;
  /** Until when `key` is held at `nowMs`; undefined when it is not. */
  heldUntil(key: string, nowMs: number): number | undefined;
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
  /**
   * Drops what is known of `key` (a removed integration), unless it has work in flight or
   * waiting: that is kept, to be asked again later. Used again, `key` starts afresh.
   */
  forget(key: string): void;
  /** The keys it keeps a record of, forgotten or not yet. */
  integrations(): IterableIterator<string>;
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
 * A saturated integration with no attempt ending for this long is stalled, not fast. Long
 * enough that hookswitch's own busy event loop (a large batch being parsed) does not count.
 */
const STALL_MS = 1_000;
/** The longest a Node.js timer waits: a longer delay fires at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** What the limiter knows of one integration: its slots, its line and its pace. */
interface KeyState extends Pace {
  inFlight: number;
  /** Work waiting for a slot, first come, first served. */
  line: InLine[];
  /** Tells the line's oldest to park once it waited `maxLineWaitMs`; set while anyone waits. */
  lineTimer: NodeJS.Timeout | undefined;
  /** Callers of `whenRoom` waiting for a free slot. */
  roomWaiters: (() => void)[];
  /** When the integration last became full; undefined until it first did. */
  saturatedAtMs: number | undefined;
  /** The last turn handed out by `nextTurnMs`. */
  turnMs: number | undefined;
  /** Until when new requests are held back (`hold`); 0 when never held. */
  heldUntilMs: number;
}

function wakeRoomWaiters(state: KeyState): void {
  if (state.roomWaiters.length === 0) return;
  const waiting = state.roomWaiters;
  state.roomWaiters = [];
  for (const resolve of waiting) resolve();
}

export function createLimiter(options: LimiterOptions = {}): Limiter {
  return new KeyedLimiter(options);
}

class KeyedLimiter implements Limiter {
  readonly #states = new Map<string, KeyState>();
  readonly #pace = new PaceJudge(this.#states);
  readonly #maxWaitMs: number;
  readonly #maxLineWaitMs: number;

  constructor(options: LimiterOptions) {
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#maxLineWaitMs = options.maxLineWaitMs ?? DEFAULT_MAX_LINE_WAIT_MS;
  }

  acquire(key: string, keyMax: number, nowMs: number): true | Promise<boolean> | false {
    const state = this.#stateOf(key);
    if (nowMs < state.heldUntilMs) return false;
    if (state.inFlight < keyMax) {
      state.inFlight += 1;
      if (state.inFlight === keyMax) state.saturatedAtMs = nowMs;
      return true;
    }
    if (state.line.length >= this.#roomFor(key, state, keyMax, nowMs)) return false;
    return new Promise<boolean>((resolve) => {
      state.line.push({ resolve, since: performance.now() });
      this.#armLineTimer(state);
    });
  }

  nextTurnMs(key: string, keyMax: number, nowMs: number): number {
    const state = this.#stateOf(key);
    const pace = (state.averageMs ?? ASSUMED_DURATION_MS) / keyMax;
    const turn = Math.max(nowMs, state.turnMs ?? nowMs, state.heldUntilMs) + pace;
    state.turnMs = turn;
    return Math.ceil(turn - nowMs);
  }

  observe(key: string, durationMs: number, nowMs: number): void {
    this.#pace.observe(key, this.#stateOf(key), durationMs, nowMs);
  }

  release(key: string): void {
    const state = this.#states.get(key);
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
  }

  hold(key: string, untilMs: number, nowMs: number): boolean {
    const state = this.#stateOf(key);
    const begins = state.heldUntilMs <= nowMs;
    state.heldUntilMs = Math.max(state.heldUntilMs, untilMs);
    // Released slots would go to the line during the hold: it parks instead.
    for (const work of state.line.splice(0)) work.resolve(false);
    return begins;
  }

  heldUntil(key: string, nowMs: number): number | undefined {
    const until = this.#states.get(key)?.heldUntilMs ?? 0;
    return until > nowMs ? until : undefined;
  }

  whenRoom(key: string, keyMax: number): number | Promise<void> {
    const state = this.#stateOf(key);
    const heldMs = state.heldUntilMs - Date.now();
    if (heldMs > 0) {
      // A hold of more than 24.8 days (a Retry-After under a long retry.maxDelay) would fire
      // Node's timer at once, with a warning each time; the caller asks again when it wakes.
      const waitMs = Math.min(heldMs, LONGEST_TIMER_MS);
      return new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
    }
    const free = keyMax - state.inFlight;
    if (free > 0 && state.line.length === 0) return free;
    return new Promise<void>((resolve) => state.roomWaiters.push(resolve));
  }

  capsChanged(): void {
    for (const state of this.#states.values()) wakeRoomWaiters(state);
  }

  inFlight(key: string): number {
    return this.#states.get(key)?.inFlight ?? 0;
  }

  /**
   * A record with work in flight or waiting is kept: a release looks it up, and
   * `capsChanged` wakes its room waiters. The periodic sweep that asks walks `integrations()`
   * and so asks again later; dropping the record once it empties instead would add a check
   * to every release. The pace judge keeps nothing per key: its pass reads these records.
   */
  forget(key: string): void {
    const state = this.#states.get(key);
    if (!state || state.inFlight > 0 || state.line.length > 0 || state.roomWaiters.length > 0) {
      return;
    }
    clearTimeout(state.lineTimer); // may still be armed for a line that emptied
    this.#states.delete(key);
  }

  integrations(): IterableIterator<string> {
    return this.#states.keys();
  }

  #stateOf(key: string): KeyState {
    let state = this.#states.get(key);
    if (!state) {
      state = {
        ...emptyPace(),
        inFlight: 0,
        line: [],
        lineTimer: undefined,
        roomWaiters: [],
        saturatedAtMs: undefined,
        turnMs: undefined,
        heldUntilMs: 0,
      };
      this.#states.set(key, state);
    }
    return state;
  }

  /** Innocent until proven slow: an integration is judged by its answers, or their absence. */
  #roomFor(key: string, state: KeyState, keyMax: number, nowMs: number): number {
    const perAttempt = warmAverageMs(state);
    const progress = Math.max(state.lastEndedMs, state.saturatedAtMs ?? nowMs);
    const stalled = nowMs - progress > STALL_MS;
    const slow = perAttempt !== undefined && this.#pace.isSlow(key, perAttempt, nowMs);
    if (!stalled && !slow) return MAX_LINE;
    const expected = state.averageMs ?? ASSUMED_DURATION_MS;
    return Math.min(MAX_LINE, Math.floor((this.#maxWaitMs / expected) * keyMax));
  }

  /** One timer per line, for its oldest: lines are first come, first served. */
  #armLineTimer(state: KeyState): void {
    const oldest = state.line[0];
    if (state.lineTimer !== undefined || oldest === undefined) return;
    const due = Math.max(0, oldest.since + this.#maxLineWaitMs - performance.now());
    state.lineTimer = setTimeout(() => {
      state.lineTimer = undefined;
      for (const work of takeExpired(state.line, this.#maxLineWaitMs, performance.now())) {
        work.resolve(false);
      }
      this.#armLineTimer(state);
    }, due);
    state.lineTimer.unref();
  }
}
