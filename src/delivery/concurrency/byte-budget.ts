/**
 * Bytes held at once at one place, bounded: a caller takes its bytes before it builds what
 * weighs them and gives them back when that is gone. First come, first served; a caller
 * larger than the whole budget goes alone, so nothing waits forever.
 *
 * Hot path: while under the budget, taking is an addition; only a caller that waits gets a
 * Promise.
 */

/**
 * Whether `bytes` more fit within `limit` with `used` taken. Something taken alone always
 * fits, larger than the limit or not, so that nothing waits forever.
 */
export function fitsWithin(used: number, bytes: number, limit: number): boolean {
  return used === 0 || used + bytes <= limit;
}

/** A size that is no count of bytes, or more given back than taken: a bug in the caller. */
export class ByteBudgetError extends Error {
  override name = "ByteBudgetError";
}

interface Waiter {
  bytes: number;
  resolve(): void;
}

export class ByteBudget {
  readonly limit: number;
  #used = 0;
  #waiters: Waiter[] = [];

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new ByteBudgetError(`a byte budget must be a whole number ≥ 1, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Bytes taken now. */
  get used(): number {
    return this.#used;
  }

  /** Callers waiting for room. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Takes `bytes`: undefined when they fit now (taken already), else a Promise of their turn. */
  take(bytes: number): Promise<void> | undefined {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new ByteBudgetError(`bytes must be a whole number ≥ 0, got ${bytes}`);
    }
    if (this.#waiters.length === 0 && this.#fits(bytes)) {
      this.#used += bytes;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiters.push({ bytes, resolve }));
  }

  /** Gives back `bytes` taken before, and lets the callers in turn in while they fit. */
  give(bytes: number): void {
    if (bytes > this.#used) {
      throw new ByteBudgetError(`gave back ${bytes} bytes with only ${this.#used} taken`);
    }
    this.#used -= bytes;
    for (let next = this.#waiters[0]; next && this.#fits(next.bytes); next = this.#waiters[0]) {
      this.#waiters.shift();
      this.#used += next.bytes;
      next.resolve();
    }
  }

  #fits(bytes: number): boolean {
    return fitsWithin(this.#used, bytes, this.limit);
  }
}
