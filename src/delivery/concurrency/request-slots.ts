/**
 * The global cap on requests in flight (`--max-in-flight`), shared so that receivers that
 * do not answer cannot take it all (docs/operating.md, "Slow and silent receivers"). Each
 * request holds its slot until its answer or its timeout, up to a minute: slots taken by
 * receivers that hang are gone for that long, and a plain first-come semaphore let a few of
 * them fill the cap.
 *
 * - While other integrations want slots (they asked for one in the last `ACTIVE_MS`), an
 *   integration that already holds `share` or more and none of whose requests came back
 *   promptly of late may fill the cap only up to `size - reserve`: the last slots stay for
 *   the integrations that hold few or are answered promptly. A slow receiver's answers do
 *   not count: one that answers a wave at once would otherwise take the reserve with its
 *   next. Alone, an integration may take them all; the others' first requests, should it
 *   hang, wait at most one timeout before its slots come back and the reserve holds.
 * - Nobody waits longer than `maxWaitMs`: slots that long in coming are held by receivers
 *   that do not answer, and the caller parks its delivery instead, so that its event moves on.
 * - The requests in flight weigh no more than `bytes` together, each its event's size (a
 *   request alone may weigh more): a body is held twice until its answer (our text and the
 *   client's copy), and 256 of events of 960 KiB would be half a gigabyte. The last quarter
 *   of the bytes is a reserve as the last slots are, and a request that waits for bytes parks
 *   after `maxWaitMs` too.
 *
 * Hot path: a free slot is a counter and a few Map updates; only a caller that waits gets a
 * Promise, and one timer serves every waiter.
 */
import { coerceError } from "../../errors.js";
import { fitsWithin } from "./byte-budget.js";
import { leaveOnAbort, takeExpired } from "./wait-ends.js";

/** A wait for a request slot that lasted `maxWaitMs`: the caller parks its delivery. */
export class SlotWaitTimeoutError extends Error {
  override name = "SlotWaitTimeoutError";
}

/**
 * A release without a matching acquire, more bytes given back than taken, or a slot count
 * that is no whole number: a bug in the caller.
 */
export class RequestSlotsError extends Error {
  override name = "RequestSlotsError";
}

export interface RequestSlotsOptions {
  /** How long a caller waits for a slot before it is told to park (default 1 s). */
  maxWaitMs?: number;
  /** Bytes the requests in flight may weigh together (default: no bound). */
  bytes?: number;
  /** How long an integration that asked for a slot still counts as wanting some (10 s). */
  activeMs?: number;
}

interface Waiter {
  key: string;
  bytes: number;
  /** When the wait began (monotonic ms). */
  since: number;
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
}

/**
 * What the requests in flight weigh together at most, by their events' size. Events of about
 * 1 KiB never come near it (`--max-in-flight` binds first), nor do those of the default
 * `--max-event-size` (256 of 64 KiB are 16 MiB); 17 requests of events of 960 KiB do.
 */
export const REQUEST_BYTES = 16 * 1024 * 1024;

const DEFAULT_MAX_WAIT_MS = 1_000;
/** An integration that asked for a slot this recently still wants some. */
const ACTIVE_MS = 10_000;
/** Names that stopped asking are forgotten on this many acquires (renamed, removed ones). */
const FORGET_EVERY = 1_024;
/** How many waiters a release looks at for one that may take a slot of the reserve. */
const SCAN = 32;
/** An integration whose request came back promptly this recently is answered. */
const PROGRESS_MS = 1_000;
/** A request that came back within this long of its slot being taken came back promptly. */
const PROMPT_MS = 1_000;

export class RequestSlots {
  readonly size: number;
  /** Slots kept, while others want some, from integrations holding `share` or more unanswered. */
  readonly reserve: number;
  readonly share: number;
  readonly maxBytes: number;
  /** What requests may weigh before they reach the bytes' reserve. */
  readonly #bytesBeforeReserve: number;
  readonly #maxWaitMs: number;
  readonly #activeMs: number;
  #taken = 0;
  #bytes = 0;
  readonly #held = new Map<string, number>();
  /** When each integration last asked for a slot (monotonic ms), kept for `ACTIVE_MS`. */
  readonly #asked = new Map<string, number>();
  /** When a request of each integration last came back promptly (monotonic ms). */
  readonly #answered = new Map<string, number>();
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
    this.maxBytes = options.bytes ?? Infinity;
    this.#bytesBeforeReserve = Number.isFinite(this.maxBytes)
      ? this.maxBytes - Math.floor(this.maxBytes / 4)
      : Infinity;
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#activeMs = options.activeMs ?? ACTIVE_MS;
  }

  /** Requests in flight (the in-flight gauge). */
  get taken(): number {
    return this.#taken;
  }

  /** Attempts waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** What the requests in flight weigh. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Whether the bytes in flight leave room for a request of `key` weighing `bytes`, the count
   * of slots aside (nothing is taken).
   */
  hasBytesFor(key: string, bytes: number): boolean {
    if (!this.#bytesFit(bytes)) return false;
    return this.#bytesBeforeReserveFit(bytes) || this.#mayEnterReserve(key);
  }

  /**
   * Takes a slot for an attempt to `key` weighing `bytes`: undefined when taken at once,
   * otherwise a Promise that resolves once a slot is handed over, or rejects with
   * `SlotWaitTimeoutError` after `maxWaitMs` (or with the reason of an aborted `signal`),
   * holding no slot. Release it with the same bytes.
   */
  acquire(key: string, signal?: AbortSignal, bytes = 0): Promise<void> | undefined {
    if (signal?.aborted) return Promise.reject(coerceError(signal.reason));
    this.#asked.set(key, performance.now());
    if (--this.#untilForget === 0) this.#forgetQuiet();
    // Waiters left waiting while a slot is free are kept out of the reserve, which this
    // one may use, or wait for bytes, which a request that fits does not wait behind (a slow
    // integration's large requests would hold up everyone's); otherwise no one is overtaken.
    if (
      this.#mayTake(key, bytes) &&
      (this.#waiters.length === 0 ||
        !this.#beforeReserve(bytes) ||
        !this.#bytesFit((this.#waiters[0] as Waiter).bytes))
    ) {
      this.#take(key, bytes);
      return undefined;
    }
    if (signal) this.#leaveOnAbort(signal);
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ key, bytes, since: performance.now(), resolve, reject, signal });
      this.#armTimer();
    });
  }

  /**
   * Gives back a slot of `key` taken for `bytes`, handing it to the oldest waiter that may
   * take it. `sentAt`: when the slot was taken (monotonic ms), for a request that was sent,
   * which tells how promptly its receiver answers; a slot given back unused tells nothing.
   */
  release(key: string, bytes = 0, sentAt?: number): void {
    const held = this.#held.get(key) ?? 0;
    if (held <= 0) throw new RequestSlotsError(`release("${key}") without a matching acquire`);
    if (bytes > this.#bytes) {
      throw new RequestSlotsError(`released ${bytes} bytes with only ${this.#bytes} taken`);
    }
    if (held === 1) this.#held.delete(key);
    else this.#held.set(key, held - 1);
    if (sentAt !== undefined) {
      const now = performance.now();
      if (now - sentAt < PROMPT_MS) this.#answered.set(key, now);
    }
    this.#taken--;
    this.#bytes -= bytes;
    this.#serve();
  }

  #take(key: string, bytes: number): void {
    this.#taken++;
    this.#bytes += bytes;
    this.#held.set(key, (this.#held.get(key) ?? 0) + 1);
  }

  /** Room for a request of `bytes` (a request alone always has room). */
  #bytesFit(bytes: number): boolean {
    return fitsWithin(this.#bytes, bytes, this.maxBytes);
  }

  /** Whether a request of `bytes` leaves both reserves, of slots and of bytes, untouched. */
  #beforeReserve(bytes: number): boolean {
    return this.#taken < this.size - this.reserve && this.#bytesBeforeReserveFit(bytes);
  }

  #bytesBeforeReserveFit(bytes: number): boolean {
    return fitsWithin(this.#bytes, bytes, this.#bytesBeforeReserve);
  }

  #mayTake(key: string, bytes: number): boolean {
    if (this.#taken >= this.size || !this.#bytesFit(bytes)) return false;
    return this.#beforeReserve(bytes) || this.#mayEnterReserve(key);
  }

  /**
   * In the reserve, an integration holding `share` or more may take more only while its
   * requests come back promptly (one did within `PROGRESS_MS`) or no one else wants slots:
   * receivers that hang or are slow are kept out of it from their first requests on, and
   * healthy integrations sharing a small cap (a fan-out) are not.
   */
  #mayEnterReserve(key: string): boolean {
    if ((this.#held.get(key) ?? 0) < this.share) return true;
    if (this.#asked.size - (this.#asked.has(key) ? 1 : 0) === 0) return true;
    return performance.now() - (this.#answered.get(key) ?? -Infinity) < PROGRESS_MS;
  }

  /**
   * Forgets integrations that stopped asking: every `FORGET_EVERY` acquires, and before a
   * waiter's deadline, so that "others want slots" is a Map's size, not a walk of it.
   */
  #forgetQuiet(): void {
    this.#untilForget = FORGET_EVERY;
    const since = performance.now() - this.#activeMs;
    for (const [key, at] of this.#asked) if (at < since) this.#asked.delete(key);
    for (const [key, at] of this.#answered) if (at < since) this.#answered.delete(key);
  }

  /**
   * Hands free slots over: outside the reserve to the oldest waiter, as a plain semaphore
   * does; inside it, to the oldest of the first `SCAN` waiters that may take one. Looking
   * no further keeps a release cheap however many wait (a fan-out keeps hundreds waiting);
   * a slot left free goes to the next acquire or release that finds someone who may take it.
   */
  #serve(): void {
    while (this.#waiters.length > 0 && this.#taken < this.size) {
      const oldest = this.#waiters[0] as Waiter;
      if (this.#beforeReserve(oldest.bytes)) {
        this.#waiters.shift();
        this.#take(oldest.key, oldest.bytes);
        oldest.resolve();
        continue;
      }
      const at = this.#firstAllowed();
      if (at === -1) return;
      const [next] = this.#waiters.splice(at, 1) as [Waiter];
      this.#take(next.key, next.bytes);
      next.resolve();
    }
  }

  #firstAllowed(): number {
    const end = Math.min(this.#waiters.length, SCAN);
    for (let i = 0; i < end; i++) {
      const waiter = this.#waiters[i] as Waiter;
      if (this.#mayTake(waiter.key, waiter.bytes)) return i;
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
      const taken =
        this.#taken >= this.size
          ? `--max-in-flight ${this.size} taken`
          : `requests of ${Math.round(this.#bytes / 1024)} KiB in flight`;
      const error = new SlotWaitTimeoutError(
        `no request slot within ${this.#maxWaitMs} ms (${taken})`,
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
