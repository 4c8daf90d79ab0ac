/**
 * Lines about messages handed back because NATS did not store one of their records, in
 * bounded numbers. While JetStream is out of storage every message fails so, again and
 * again: a line with a stack each made 10,780 lines (15 MB) in 15 minutes. Per stream, the
 * first lines of each interval are logged in full; the rest are counted and told in one line
 * as the interval ends. The store-failure metric counts every record.
 */
import type { Logger } from "pino";
import { IntervalLines } from "../delivery/interval-lines.js";
import type { StoreFailedError } from "./store-failure.js";

/** Lines of one stream logged in full per interval. */
export const STORE_LINES_PER_INTERVAL = 5;
export const STORE_LINES_INTERVAL_MS = 60_000;

export interface StoreFailureLog {
  /** A message handed back because `err` kept one of its records out of its stream. */
  handedBack(err: StoreFailedError, where: { consumer: string; seq: number }): void;
  /** Tells now what is counted and not told yet (at stop). */
  flush(): void;
}

export interface StoreFailureTiming {
  perInterval?: number;
  intervalMs?: number;
  now?: () => number;
}

interface Counted {
  lines: IntervalLines;
  timer: NodeJS.Timeout | undefined;
  last: StoreFailedError;
}

export function createStoreFailureLog(
  log: Logger,
  timing: StoreFailureTiming = {},
): StoreFailureLog {
  const intervalMs = timing.intervalMs ?? STORE_LINES_INTERVAL_MS;
  const perInterval = timing.perInterval ?? STORE_LINES_PER_INTERVAL;
  // A monotonic clock: a wall clock stepped back would keep the full lines silent that long.
  const now = timing.now ?? (() => performance.now());
  const byStream = new Map<string, Counted>();

  const tell = (stream: string, counted: Counted) => {
    clearTimeout(counted.timer);
    counted.timer = undefined;
    const notLogged = counted.lines.takeUnlogged();
    if (notLogged === 0) return;
    const seconds = Math.round(intervalMs / 1000);
    log.error(
      { stream, notLogged },
      `${notLogged} more messages handed back in ${seconds} s because stream ${stream} did ` +
        `not store their records (the first ${perInterval} of each ${seconds} s are logged ` +
        `in full); ${counted.last.advice()}`,
    );
  };

  return {
    handedBack(err, where) {
      const { stream } = err;
      let counted = byStream.get(stream);
      if (counted === undefined) {
        counted = {
          lines: new IntervalLines(perInterval, intervalMs),
          timer: undefined,
          last: err,
        };
        byStream.set(stream, counted);
      }
      counted.last = err;
      const at = now();
      if (counted.lines.take(at)) {
        // No stack: the cause is NATS's state, not hookswitch's code.
        const reason = err.cause instanceof Error ? err.cause.message : err.message;
        log.error(
          { ...where, stream, reason },
          `message handed back to come again: ${err.message}; ${err.advice()}`,
        );
        return;
      }
      if (counted.timer !== undefined) return;
      const ending = counted;
      counted.timer = setTimeout(
        () => tell(stream, ending),
        Math.max(0, (counted.lines.endsAt() ?? at) - at),
      );
      counted.timer.unref();
    },
    flush() {
      for (const [stream, counted] of byStream) tell(stream, counted);
    },
  };
}
