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
 * Hot path: taking a free slot is two counters; only a caller that waits gets a Promise, and
 * one interval, running while the cap is full, does the checks.
 */

/** A release without a matching acquire, or a size that is no count: a bug in the caller. */
export class IntakeError extends Error {
  override name = "IntakeError";
}

export interface IntakeOptions {
  /** Slots beyond the cap, for when it is stuck. */
  spare: number;
  /** How long the cap stands still, or a waiter waits, before spare slots are given. */
  spareAfterMs: number;
}

interface Waiter {
  /** The check count when the wait began: how many checks it has waited through. */
  sinceCheck: number;
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
  readonly #checkEveryMs: number;
  #taken = 0;
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
    this.#checkEveryMs = Math.max(1, options.spareAfterMs / CHECKS);
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
      this.#takeFromCap();
      return undefined;
    }
    if (this.#waiters.length === 0 && this.#mayTakeSpare(undefined)) {
      this.#taken++;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.#waiters.push({ sinceCheck: this.#checks, resolve });
      this.#startChecks();
    });
  }

  /** Gives back a slot, handing it to the oldest waiter if it may take it. */
  release(): void {
    if (this.#taken <= 0) throw new IntakeError("release() without a matching acquire");
    this.#taken--;
    this.#serve();
  }

  #takeFromCap(): void {
    this.#capTakes++;
    if (++this.#taken === this.size) this.#startChecks();
  }

  #serve(): void {
    for (let oldest = this.#waiters[0]; oldest; oldest = this.#waiters[0]) {
      if (this.#taken < this.size) this.#takeFromCap();
      else if (this.#mayTakeSpare(oldest)) this.#taken++;
      else break;
      this.#waiters.shift();
      oldest.resolve();
    }
  }

  /** With the cap taken: whether a spare slot is left, and the cap stuck or `waiter` long waiting. */
  #mayTakeSpare(waiter: Waiter | undefined): boolean {
    if (this.#taken >= this.size + this.spare) return false;
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
    if (this.#taken < this.size && this.#waiters.length === 0) {
      clearInterval(this.#checker);
      this.#checker = undefined;
      return;
    }
    this.#serve();
  }
}
