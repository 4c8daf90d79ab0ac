/**
 * How the semaphores and the limiter's lines end waits: an abort signal (one listener per
 * signal, however many wait with it, as adding and removing an EventTarget listener cost
 * microseconds each, more than a wait's own bookkeeping), or a wait that lasted too long.
 */
import { coerceError } from "../../errors.js";

export interface AbortableWait {
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
}

/**
 * Once `signal` aborts, takes its waits out of the list `waits()` returns (through `keep`),
 * rejects them with its reason, then calls `after`. Calling it again for the same signal
 * adds nothing (`watched` remembers it).
 */
export function leaveOnAbort<W extends AbortableWait>(
  watched: WeakSet<AbortSignal>,
  signal: AbortSignal,
  waits: () => W[],
  keep: (remaining: W[]) => void,
  after: () => void = () => undefined,
): void {
  if (watched.has(signal)) return;
  watched.add(signal);
  const leave = () => {
    const reason = coerceError(signal.reason);
    const all = waits();
    const leaving = all.filter((wait) => wait.signal === signal);
    keep(all.filter((wait) => wait.signal !== signal));
    for (const wait of leaving) wait.reject(reason);
    after();
  };
  signal.addEventListener("abort", leave, { once: true });
}

/**
 * Takes out of `waits`, which are in the order they came, those that began `maxWaitMs`
 * or more before `now` (monotonic ms), and returns them.
 */
export function takeExpired<W extends { since: number }>(
  waits: W[],
  maxWaitMs: number,
  now: number,
): W[] {
  const stillWaiting = waits.findIndex((w) => now - w.since < maxWaitMs);
  return waits.splice(0, stillWaiting === -1 ? waits.length : stillWaiting);
}
