/**
 * Which of a kind of line are logged in full when they come in floods: the first
 * `perInterval` of an interval that starts with the first one after the last interval ended;
 * the rest are counted, to be told in one line. Pure: the caller passes the time.
 */
export class IntervalLines {
  readonly #perInterval: number;
  readonly #intervalMs: number;
  #startedAt: number | undefined;
  #logged = 0;
  #unlogged = 0;

  constructor(perInterval: number, intervalMs: number) {
    this.#perInterval = perInterval;
    this.#intervalMs = intervalMs;
  }

  /** One at `nowMs`: true when it is to be logged in full, false when counted. */
  take(nowMs: number): boolean {
    if (this.#startedAt === undefined || nowMs - this.#startedAt >= this.#intervalMs) {
      this.#startedAt = nowMs;
      this.#logged = 0;
    }
    if (this.#logged < this.#perInterval) {
      this.#logged++;
      return true;
    }
    this.#unlogged++;
    return false;
  }

  /** When the interval under way ends; undefined before the first one. */
  endsAt(): number | undefined {
    return this.#startedAt === undefined ? undefined : this.#startedAt + this.#intervalMs;
  }

  /** Those counted and not logged since the last call. */
  takeUnlogged(): number {
    const unlogged = this.#unlogged;
    this.#unlogged = 0;
    return unlogged;
  }
}
