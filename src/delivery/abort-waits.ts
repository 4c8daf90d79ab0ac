/**
 * Waits that an abort signal ends, shared by the semaphores: one listener per signal,
 * however many wait with it, as adding and removing an EventTarget listener cost
 * microseconds each, more than a wait's own bookkeeping.
 */
import { coerceError } from "../errors.js";

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
