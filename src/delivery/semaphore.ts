/**
 * A counting semaphore whose waiters are served first come, first served, and leave the
 * line when their signal aborts. Hot path: taking a free slot is a counter; only a caller
 * that has to wait gets a Promise.
 */
import { coerceError } from "../errors.js";
import { leaveOnAbort } from "./waits.js";

/** A release without a matching acquire, or a size that is no count: a bug in the caller. */
export class SemaphoreError extends Error {
  override name = "SemaphoreError";
}

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
}

export class Semaphore {
  readonly size: number;
  #taken = 0;
  #waiters: Waiter[] = [];
  readonly #watched = new WeakSet<AbortSignal>();

  constructor(size: number, what = "semaphore size") {
    if (!Number.isInteger(size) || size < 1) {
      throw new SemaphoreError(`${what} must be a whole number ≥ 1, got ${size}`);
    }
    this.size = size;
  }

  /** Slots taken, by callers running or handed a slot. */
  get taken(): number {
    return this.#taken;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Takes a slot: undefined when one was free (taken already), otherwise a Promise that
   * resolves once a slot is handed over. An aborted `signal` rejects the wait with its
   * reason and takes no slot.
   */
  acquire(signal?: AbortSignal): Promise<void> | undefined {
    if (signal?.aborted) return Promise.reject(coerceError(signal.reason));
    if (this.#taken < this.size) {
      this.#taken++;
      return undefined;
    }
    if (signal) this.#leaveOnAbort(signal);
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject, signal }));
  }

  #leaveOnAbort(signal: AbortSignal): void {
    leaveOnAbort(
      this.#watched,
      signal,
      () => this.#waiters,
      (remaining) => (this.#waiters = remaining),
    );
  }

  /** Gives back a slot, handing it straight to the oldest waiter if there is one. */
  release(): void {
    if (this.#taken <= 0) throw new SemaphoreError("release() without a matching acquire");
    const next = this.#waiters.shift();
    if (!next) {
      this.#taken--;
      return;
    }
    // The slot passes to the waiter as is: the count stays the same.
    next.resolve();
  }
}
