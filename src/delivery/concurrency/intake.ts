/**
 * The cap on messages in progress (`--max-in-flight`), shared by every consumer loop, with
 * spare slots for messages that waited too long.
 *
 * A message in progress may hold a request to a receiver for up to its timeout (a minute).
 * When such requests hold every slot, the messages pulled behind them wait unseen by the
 * loops' progress acknowledgements (the client keeps them until the loop takes them), and
 * NATS delivers them again after the ack wait: sent twice. So once the cap has not moved
 * for `spareAfterMs` (stuck: checks through that time saw none of its places taken), every
 * waiter, and every newcomer, takes one of `spare` slots beyond it at once; so does a waiter
 * that has waited through as many checks (many loops share a cap that moves slowly). Its
 * deliveries find no request slot within a second and park, as a slow integration's do, and
 * the line keeps moving.
 *
 * The cap is judged, not only each waiter: a loop hands its messages over one at a time, so
 * each would start its wait only once the one before had a slot; a pull batch would pass at
 * one message per `spareAfterMs`, and from the fifth on (that is a quarter of the ack wait
 * at most) NATS would deliver them again.
 *
 * The cap also counts bytes: the messages in progress weigh no more than `bytes` together (a
 * message alone may weigh more), as each holds its event in memory, parsed, until it is done;
 * 512 events of 960 KiB would be a gigabyte. Spare slots have `spareBytes` of their own.
 *
 * Hot path: taking a free slot is three counters; only a caller that waits gets a Promise, and
 * one interval, running while the cap is full, does the checks.
 */

import { fitsWithin } from "./byte-budget.js";

/**
 * What the messages in progress weigh together at most, their spare slots aside. Events of
 * about 1 KiB never come near it (`--max-in-flight` binds first), nor do those of the default
 * `--max-event-size` (64 KiB); 51 events of 960 KiB do. Three times the requests' bound
 * (request-slots.ts): the events of requests that hang, which may hold three quarters of
 * that, leave room for the events behind them, whose messages come in order. With the same
 * bound for both, small events waited seconds behind large ones for a receiver that hung.
 */
export const IN_PROGRESS_BYTES = 48 * 1024 * 1024;

/**
 * A release without a matching acquire, more bytes given back than taken, or a cap that is
 * no whole number: a bug in the caller.
 */
export class IntakeError extends Error {
  override name = "IntakeError";
}

export interface IntakeOptions {
  /** Slots beyond the cap, for when it is stuck. */
  spare: number;
  /** How long the cap stands still, or a waiter waits, before spare slots are given. */
  spareAfterMs: number;
  /** Bytes the messages in progress may weigh together (default: no bound). */
  bytes?: number;
  /** Bytes beyond `bytes` that spare slots may add (default: no bound). */
  spareBytes?: number;
}

interface Waiter {
  /** The check count when the wait began: how many checks it has waited through. */
  sinceCheck: number;
  bytes: number;
  resolve(): void;
}

/**
 * Checks per `spareAfterMs`. The cap counts as stuck only after this many checks in a row
 * saw none of its places taken, each in a turn of the event loop of its own: a loop slowed
 * down (a long collection, a starved CPU, a profiler) runs an overdue check once and then
 * reads the answers that free places, so slowness alone never looks like requests that hang.
 */
const CHECKS = 4;

export class Intake {
  readonly size: number;
  readonly spare: number;
  readonly maxBytes: number;
  readonly spareBytes: number;
  readonly #checkEveryMs: number;
  #taken = 0;
  #bytes = 0;
  /** Places of the cap taken, ever: whether the cap moved between two checks. */
  #capTakes = 0;
  #capTakesAtCheck = 0;
  /** Checks so far, and how many in a row saw the cap not move. */
  #checks = 0;
  #stillChecks = 0;
  /** First come, first served. */
  #waiters: Waiter[] = [];
  /** Runs while the cap is full (or waiters wait), so that a stuck cap is noticed. */
  #checker: NodeJS.Timeout | undefined;

  constructor(size: number, options: IntakeOptions) {
    if (!Number.isInteger(size) || size < 1) {
      throw new IntakeError(`--max-in-flight must be a whole number ≥ 1, got ${size}`);
    }
    this.size = size;
    this.spare = options.spare;
    this.maxBytes = options.bytes ?? Infinity;
    this.spareBytes = options.spareBytes ?? Infinity;
    this.#checkEveryMs = Math.max(1, options.spareAfterMs / CHECKS);
  }

  /** Slots taken, by callers running or handed a slot, spare ones included. */
  get taken(): number {
    return this.#taken;
  }

  /** What the messages holding those slots weigh. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Takes a slot for a message of `bytes`: undefined when one was free (taken already),
   * otherwise a Promise that resolves once one is handed over. Release it with the same bytes.
   */
  acquire(bytes = 0): Promise<void> | undefined {
    if (this.#waiters.length === 0) {
      if (this.#capFits(bytes)) {
        this.#takeFromCap(bytes);
        return undefined;
      }
      if (this.#mayTakeSpare(undefined, bytes)) {
        this.#take(bytes);
        return undefined;
      }
    }
    return new Promise<void>((resolve) => {
      this.#waiters.push({ sinceCheck: this.#checks, bytes, resolve });
      this.#startChecks();
    });
  }

  /** Gives back a slot taken for `bytes`, handing it to the oldest waiter if it may take it. */
  release(bytes = 0): void {
    if (this.#taken <= 0) throw new IntakeError("release() without a matching acquire");
    if (bytes > this.#bytes) {
      throw new IntakeError(`released ${bytes} bytes with only ${this.#bytes} taken`);
    }
    this.#taken--;
    this.#bytes -= bytes;
    this.#serve();
  }

  /** Within the cap: a place, and room for the bytes (a message alone always has room). */
  #capFits(bytes: number): boolean {
    return this.#taken < this.size && fitsWithin(this.#bytes, bytes, this.maxBytes);
  }

  #take(bytes: number): void {
    this.#taken++;
    this.#bytes += bytes;
  }

  #takeFromCap(bytes: number): void {
    this.#capTakes++;
    this.#take(bytes);
    if (!this.#capFits(0)) this.#startChecks();
  }

  #serve(): void {
    for (let oldest = this.#waiters[0]; oldest; oldest = this.#waiters[0]) {
      if (this.#capFits(oldest.bytes)) this.#takeFromCap(oldest.bytes);
      else if (this.#mayTakeSpare(oldest, oldest.bytes)) this.#take(oldest.bytes);
      else break;
      this.#waiters.shift();
      oldest.resolve();
    }
  }

  /**
   * With the cap taken: whether a spare slot and its bytes are left, and the cap stuck or
   * `waiter` long waiting.
   */
  #mayTakeSpare(waiter: Waiter | undefined, bytes: number): boolean {
    if (this.#taken >= this.size + this.spare) return false;
    if (!fitsWithin(this.#bytes, bytes, this.maxBytes + this.spareBytes)) return false;
    if (this.#stillChecks >= CHECKS) return true;
    // One check more than the cap needs: the first may come at once after the wait began.
    return waiter !== undefined && this.#checks - waiter.sinceCheck > CHECKS;
  }

  #startChecks(): void {
    if (this.#checker !== undefined) return;
    this.#capTakesAtCheck = this.#capTakes;
    this.#stillChecks = 0;
    this.#checker = setInterval(() => this.#check(), this.#checkEveryMs);
    this.#checker.unref();
  }

  #check(): void {
    this.#checks++;
    if (this.#capTakes === this.#capTakesAtCheck) this.#stillChecks++;
    else this.#stillChecks = 0;
    this.#capTakesAtCheck = this.#capTakes;
    if (this.#capFits(0) && this.#waiters.length === 0) {
      clearInterval(this.#checker);
      this.#checker = undefined;
      return;
    }
    this.#serve();
  }
}
