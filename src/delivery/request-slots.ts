/**
 * The global cap on requests in flight (`--max-in-flight`), shared so that receivers that
 * do not answer cannot take it all (SPEC section 4, isolation). Each request holds its slot
 * until its answer or its timeout, up to a minute: slots taken by receivers that hang are
 * gone for that long, and a plain first-come semaphore let a few of them fill the cap.
 *
 * - While other integrations want slots (they asked for one in the last `ACTIVE_MS`), an
 *   integration that already holds `share` or more may fill the cap only up to
 *   `size - reserve`: the last slots stay for the integrations that hold few. Alone, an
 *   integration may take them all; the others' first requests, should it hang, wait at most
 *   one timeout before its slots come back and the reserve holds.
 * - Nobody waits longer than `maxWaitMs`: slots that long in coming are held by receivers
 *   that do not answer, and the caller parks its delivery instead, so that its event moves on.
 *
 * Hot path: a free slot is a counter and one Map update; only a caller that waits gets a
 * Promise, and one timer serves every waiter.
 */
import { coerceError } from "../errors.js";

/** A wait for a request slot that lasted `maxWaitMs`: the caller parks its delivery. */
export class SlotWaitTimeoutError extends Error {
  override name = "SlotWaitTimeoutError";
}

/** A release without a matching acquire, or a size that is no count: a bug in the caller. */
export class RequestSlotsError extends Error {
  override name = "RequestSlotsError";
}

export interface RequestSlotsOptions {
  /** How long a caller waits for a slot before it is told to park (default 1 s). */
  maxWaitMs?: number;
  /** How long an integration that asked for a slot still counts as wanting some (10 s). */
  activeMs?: number;
}

interface Waiter {
  key: string;
  /** When the wait began (monotonic ms). */
  since: number;
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
}

const DEFAULT_MAX_WAIT_MS = 1_000;
/** An integration that asked for a slot this recently still wants some. */
const ACTIVE_MS = 10_000;
/** Names that stopped asking are forgotten on this many acquires (renamed, removed ones). */
const FORGET_EVERY = 1_024;

export class RequestSlots {
  readonly size: number;
  /** Slots kept for integrations holding fewer than `share` while others hold or want some. */
  readonly reserve: number;
  readonly share: number;
  readonly #maxWaitMs: number;
  readonly #activeMs: number;
  #taken = 0;
  readonly #held = new Map<string, number>();
  /** When each integration last asked for a slot (monotonic ms), kept for `ACTIVE_MS`. */
  readonly #asked = new Map<string, number>();
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #untilForget = FORGET_EVERY;
  readonly #watched = new WeakSet<AbortSignal>();

  constructor(size: number, options: RequestSlotsOptions = {}) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RequestSlotsError(`--max-in-flight must be a whole number ≥ 1, got ${size}`);
    }
    this.size = size;
    this.reserve = Math.floor(size / 4);
    this.share = Math.max(1, Math.floor(this.reserve / 4));
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#activeMs = options.activeMs ?? ACTIVE_MS;
  }

  /** Requests in flight (the in-flight gauge). */
  get taken(): number {
    return this.#taken;
  }

  /**
   * Takes a slot for an attempt to `key`: undefined when taken at once, otherwise a Promise
   * that resolves once a slot is handed over, or rejects with `SlotWaitTimeoutError` after
   * `maxWaitMs` (or with the reason of an aborted `signal`), holding no slot.
   */
  acquire(key: string, signal?: AbortSignal): Promise<void> | undefined {
    if (signal?.aborted) return Promise.reject(coerceError(signal.reason));
    this.#asked.set(key, performance.now());
    if (--this.#untilForget === 0) this.#forgetQuiet();
    // Whoever waits may not take a slot (or there is none) unless others stopped asking
    // since: it goes first then. A waiter kept out of the reserve lets others pass it.
    if (this.#waiters.length > 0) this.#serve();
    if (this.#mayTake(key)) {
      this.#take(key);
      return undefined;
    }
    if (signal) this.#leaveOnAbort(signal);
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ key, since: performance.now(), resolve, reject, signal });
      this.#armTimer();
    });
  }

  /** Gives back a slot of `key`, handing free slots to the oldest waiters that may take one. */
  release(key: string): void {
    const held = this.#held.get(key) ?? 0;
    if (held <= 0) throw new RequestSlotsError(`release("${key}") without a matching acquire`);
    if (held === 1) this.#held.delete(key);
    else this.#held.set(key, held - 1);
    this.#taken--;
    this.#serve();
  }

  #take(key: string): void {
    this.#taken++;
    this.#held.set(key, (this.#held.get(key) ?? 0) + 1);
  }

  #mayTake(key: string): boolean {
    if (this.#taken >= this.size) return false;
    if (this.#taken < this.size - this.reserve) return true;
    return (this.#held.get(key) ?? 0) < this.share || !this.#othersWant(key);
  }

  #forgetQuiet(): void {
    this.#untilForget = FORGET_EVERY;
    const since = performance.now() - this.#activeMs;
    for (const [key, at] of this.#asked) if (at < since) this.#asked.delete(key);
  }

  /** Whether an integration other than `key` asked for a slot lately (forgetting older ones). */
  #othersWant(key: string): boolean {
    const since = performance.now() - this.#activeMs;
    for (const [other, at] of this.#asked) {
      if (at < since) this.#asked.delete(other);
      else if (other !== key) return true;
    }
    return false;
  }

  #serve(): void {
    for (let i = 0; i < this.#waiters.length && this.#taken < this.size;) {
      const waiter = this.#waiters[i] as Waiter;
      if (!this.#mayTake(waiter.key)) {
        i++;
        continue;
      }
      this.#waiters.splice(i, 1);
      this.#take(waiter.key);
      waiter.resolve();
    }
  }

  /** One timer for the oldest waiter; waiters leave in the order they came. */
  #armTimer(): void {
    if (this.#timer !== undefined || this.#waiters.length === 0) return;
    const oldest = (this.#waiters[0] as Waiter).since;
    const due = Math.max(0, oldest + this.#maxWaitMs - performance.now());
    this.#timer = setTimeout(() => this.#expire(), due);
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    // Others may have stopped asking meanwhile: a waiter kept out of the reserve goes first.
    this.#serve();
    const now = performance.now();
    // Waiters are in the order they came, so the ones that waited long enough come first.
    const waiting = this.#waiters.findIndex((w) => now - w.since < this.#maxWaitMs);
    const expired = this.#waiters.splice(0, waiting === -1 ? this.#waiters.length : waiting);
    if (expired.length > 0) {
      const error = new SlotWaitTimeoutError(
        `no request slot within ${this.#maxWaitMs} ms (--max-in-flight ${this.size} taken)`,
      );
      for (const waiter of expired) waiter.reject(error);
    }
    this.#armTimer();
  }

  /**
   * One listener per signal, however many wait with it: adding and removing an
   * EventTarget listener cost microseconds each, more than the wait's own bookkeeping.
   */
  #leaveOnAbort(signal: AbortSignal): void {
    if (this.#watched.has(signal)) return;
    this.#watched.add(signal);
    const leave = () => {
      const reason = coerceError(signal.reason);
      const leaving = this.#waiters.filter((waiter) => waiter.signal === signal);
      this.#waiters = this.#waiters.filter((waiter) => waiter.signal !== signal);
      for (const waiter of leaving) waiter.reject(reason);
      this.#serve();
    };
    signal.addEventListener("abort", leave, { once: true });
  }
}
