/**
 * The cap on messages in progress (`--max-in-flight`), shared by every consumer loop, with
 * spare slots for messages that waited too long.
 *
 * A message in progress may hold a request to a receiver for up to its timeout (a minute).
 * When such requests hold every slot, the messages pulled behind them wait unseen by the
 * loops' progress acknowledgements (the client keeps them until the loop takes them), and
 * NATS delivers them again after the ack wait: sent twice. So once no slot of the cap has
 * been taken for `spareAfterMs` (the cap is stuck), every waiter, and every newcomer, takes
 * one of `spare` slots beyond it at once; so does a waiter that has waited `spareAfterMs`
 * (many loops share a cap that moves slowly). Its deliveries find no request slot within a
 * second and park, as a slow integration's do, and the line keeps moving.
 *
 * The cap is judged, not only each waiter: a loop hands its messages over one at a time, so
 * each would start its wait of `spareAfterMs` only once the one before had a slot; a pull
 * batch would pass at one message per `spareAfterMs`, and from the fifth on (that is a
 * quarter of the ack wait at most) NATS would deliver them again.
 *
 * Hot path: taking a free slot is a counter (and a clock read when it fills the cap); only a
 * caller that waits gets a Promise, and one timer serves every waiter.
 */

/** A release without a matching acquire, or a size that is no count: a bug in the caller. */
export class IntakeError extends Error {
  override name = "IntakeError";
}

export interface IntakeOptions {
  /** Slots beyond the cap, for waiters that waited `spareAfterMs`. */
  spare: number;
  /** How long a waiter waits before it may take a spare slot. */
  spareAfterMs: number;
}

interface Waiter {
  /** When the wait began (monotonic ms). */
  since: number;
  resolve(): void;
}

export class Intake {
  readonly size: number;
  readonly spare: number;
  readonly #spareAfterMs: number;
  #taken = 0;
  /** When the cap's last free slot was last taken (monotonic ms): it moved then. */
  #capFilledAt = 0;
  /** First come, first served. */
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(size: number, options: IntakeOptions) {
    if (!Number.isInteger(size) || size < 1) {
      throw new IntakeError(`--max-in-flight must be a whole number ≥ 1, got ${size}`);
    }
    this.size = size;
    this.spare = options.spare;
    this.#spareAfterMs = options.spareAfterMs;
  }

  /** Slots taken, by callers running or handed a slot, spare ones included. */
  get taken(): number {
    return this.#taken;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Takes a slot: undefined when one was free (taken already), otherwise a Promise that
   * resolves once one is handed over.
   */
  acquire(): Promise<void> | undefined {
    if (this.#taken < this.size) {
      if (++this.#taken === this.size) this.#capFilledAt = performance.now();
      return undefined;
    }
    if (this.#waiters.length === 0 && this.#mayTakeSpare(performance.now(), undefined)) {
      this.#taken++;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.#waiters.push({ since: performance.now(), resolve });
      this.#armTimer();
    });
  }

  /** Gives back a slot, handing it to the oldest waiter if it may take it. */
  release(): void {
    if (this.#taken <= 0) throw new IntakeError("release() without a matching acquire");
    this.#taken--;
    this.#serve();
  }

  #serve(): void {
    if (this.#waiters.length === 0) return;
    const now = performance.now();
    for (let oldest = this.#waiters[0]; oldest; oldest = this.#waiters[0]) {
      if (this.#taken < this.size) {
        if (this.#taken + 1 === this.size) this.#capFilledAt = now;
      } else if (!this.#mayTakeSpare(now, oldest)) {
        break;
      }
      this.#waiters.shift();
      this.#taken++;
      oldest.resolve();
    }
    this.#armTimer();
  }

  /** With the cap taken: whether a spare slot is left, and the cap stuck or `waiter` long waiting. */
  #mayTakeSpare(now: number, waiter: Waiter | undefined): boolean {
    if (this.#taken >= this.size + this.spare) return false;
    const since = Math.min(this.#capFilledAt, waiter?.since ?? Infinity);
    return now - since >= this.#spareAfterMs;
  }

  /** One timer, for when the oldest waiter may take a spare slot; none while all are taken. */
  #armTimer(): void {
    if (this.#timer !== undefined || this.#taken >= this.size + this.spare) return;
    const oldest = this.#waiters[0];
    if (!oldest) return;
    const since = Math.min(this.#capFilledAt, oldest.since);
    const due = Math.max(0, since + this.#spareAfterMs - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#serve();
    }, due);
    this.#timer.unref();
  }
}
