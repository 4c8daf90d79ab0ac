/**
 * The global cap on requests in flight (`--max-in-flight`), shared so that receivers that
 * do not answer cannot take it all (SPEC section 4, isolation). Each request holds its slot
 * until its answer or its timeout, up to a minute: slots taken by receivers that hang are
 * gone for that long, and a plain first-come semaphore let a few of them fill the cap.
 *
 * - While other integrations want slots (they asked for one in the last `ACTIVE_MS`), an
 *   integration that already holds `share` or more and none of whose requests came back
 *   lately may fill the cap only up to `size - reserve`: the last slots stay for the
 *   integrations that hold few or are answered. Alone, an integration may take them all;
 *   the others' first requests, should it hang, wait at most one timeout before its slots
 *   come back and the reserve holds.
 * - Nobody waits longer than `maxWaitMs`: slots that long in coming are held by receivers
 *   that do not answer, and the caller parks its delivery instead, so that its event moves on.
 *
 * Hot path: a free slot is a counter and a few Map updates; only a caller that waits gets a
 * Promise, and one timer serves every waiter.
 */
import { coerceError } from "../../errors.js";
import { leaveOnAbort, takeExpired } from "./wait-ends.js";

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
/** How many waiters a release looks at for one that may take a slot of the reserve. */
const SCAN = 32;
/** An integration whose request came back this recently is not hanging. */
const PROGRESS_MS = 1_000;

export class RequestSlots {
  readonly size: number;
  /** Slots kept, while others want some, from integrations holding `share` or more unanswered. */
  readonly reserve: number;
  readonly share: number;
  readonly #maxWaitMs: number;
  readonly #activeMs: number;
  #taken = 0;
  readonly #held = new Map<string, number>();
  /** When each integration last asked for a slot (monotonic ms), kept for `ACTIVE_MS`. */
  readonly #asked = new Map<string, number>();
  /** When a request of each integration last came back (monotonic ms). */
  readonly #returned = new Map<string, number>();
  /** First come, first served: outside the reserve, a slot goes to the oldest at once. */
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
    // Waiters left waiting while a slot is free are kept out of the reserve, which this
    // one may use; otherwise no one is overtaken.
    if (
      this.#mayTake(key) &&
      (this.#waiters.length === 0 || this.#taken >= this.size - this.reserve)
    ) {
      this.#take(key);
      return undefined;
    }
    if (signal) this.#leaveOnAbort(signal);
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ key, since: performance.now(), resolve, reject, signal });
      this.#armTimer();
    });
  }

  /** Gives back a slot of `key`, handing it to the oldest waiter that may take it. */
  release(key: string): void {
    const held = this.#held.get(key) ?? 0;
    if (held <= 0) throw new RequestSlotsError(`release("${key}") without a matching acquire`);
    if (held === 1) this.#held.delete(key);
    else this.#held.set(key, held - 1);
    this.#returned.set(key, performance.now());
    this.#taken--;
    this.#serve();
  }

  #take(key: string): void {
    this.#taken++;
    this.#held.set(key, (this.#held.get(key) ?? 0) + 1);
  }

  /**
   * In the reserve, an integration holding `share` or more may take more only while its
   * requests come back (one did within `PROGRESS_MS`) or no one else wants slots: receivers
   * that hang are kept out of it from their first requests on, and healthy integrations
   * sharing a small cap (a fan-out) are not.
   */
  #mayTake(key: string): boolean {
    if (this.#taken >= this.size) return false;
    if (this.#taken < this.size - this.reserve) return true;
    if ((this.#held.get(key) ?? 0) < this.share) return true;
    if (this.#asked.size - (this.#asked.has(key) ? 1 : 0) === 0) return true;
    return performance.now() - (this.#returned.get(key) ?? -Infinity) < PROGRESS_MS;
  }

  /**
   * Forgets integrations that stopped asking: every `FORGET_EVERY` acquires, and before a
   * waiter's deadline, so that "others want slots" is a Map's size, not a walk of it.
   */
  #forgetQuiet(): void {
    this.#untilForget = FORGET_EVERY;
    const since = performance.now() - this.#activeMs;
    for (const [key, at] of this.#asked) if (at < since) this.#asked.delete(key);
    for (const [key, at] of this.#returned) if (at < since) this.#returned.delete(key);
  }

  /**
   * Hands free slots over: outside the reserve to the oldest waiter, as a plain semaphore
   * does; inside it, to the oldest of the first `SCAN` waiters that may take one. Looking
   * no further keeps a release cheap however many wait (a fan-out keeps hundreds waiting);
   * a slot left free goes to the next acquire or release that finds someone who may take it.
   */
  #serve(): void {
    while (this.#waiters.length > 0 && this.#taken < this.size) {
      if (this.#taken < this.size - this.reserve) {
        const next = this.#waiters.shift() as Waiter;
        this.#take(next.key);
        next.resolve();
        continue;
      }
      const at = this.#firstAllowed();
      if (at === -1) return;
      const [next] = this.#waiters.splice(at, 1) as [Waiter];
      this.#take(next.key);
      next.resolve();
    }
  }

  #firstAllowed(): number {
    const end = Math.min(this.#waiters.length, SCAN);
    for (let i = 0; i < end; i++) {
      if (this.#mayTake((this.#waiters[i] as Waiter).key)) return i;
    }
    return -1;
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
    this.#forgetQuiet();
    this.#serve();
    const expired = takeExpired(this.#waiters, this.#maxWaitMs, performance.now());
    if (expired.length > 0) {
      const error = new SlotWaitTimeoutError(
        `no request slot within ${this.#maxWaitMs} ms (--max-in-flight ${this.size} taken)`,
      );
      for (const waiter of expired) waiter.reject(error);
    }
    this.#armTimer();
  }

  #leaveOnAbort(signal: AbortSignal): void {
    leaveOnAbort(
      this.#watched,
      signal,
      () => this.#waiters,
      (remaining) => (this.#waiters = remaining),
      () => this.#serve(),
    );
  }
}
