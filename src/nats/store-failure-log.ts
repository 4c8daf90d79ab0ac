/**
 * Lines about messages handed back because NATS did not store one of their records, in
 * bounded numbers. While JetStream is out of storage every message fails so, again and
 * again: a line with a stack each made 10,780 lines (15 MB) in 15 minutes. Per stream, the
 * first lines of each interval are logged in full; the rest are counted and told in one line
 * as the interval ends. The store-failure metric counts every record.
 */
import type { Logger } from "pino";
import { createKeyedLines } from "../delivery/integration-lines.js";
import type { StoreFailedError } from "./store-failure.js";

/** Lines of one stream logged in full per interval. */
const STORE_LINES_PER_INTERVAL = 5;
const STORE_LINES_INTERVAL_MS = 60_000;

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

export function createStoreFailureLog(
  log: Logger,
  timing: StoreFailureTiming = {},
): StoreFailureLog {
  const perInterval = timing.perInterval ?? STORE_LINES_PER_INTERVAL;
  // The advice of the last failure of each stream, for its count's line.
  const lastAdvice = new Map<string, string>();
  type Line = { stream: string; consumer: string; seq: number; reason: string };
  const lines = createKeyedLines<Line>(log, {
    level: "error",
    keyField: "stream",
    perInterval,
    intervalMs: timing.intervalMs ?? STORE_LINES_INTERVAL_MS,
    ...(timing.now ? { now: timing.now } : {}),
    summary: (stream, notLogged, shown, seconds) =>
      `${notLogged} more messages handed back in ${seconds} s because stream ${stream} did ` +
      `not store their records (the first ${shown} of each ${seconds} s are logged ` +
      `in full); ${lastAdvice.get(stream) ?? ""}`,
  });
  return {
    handedBack(err, where) {
      const { stream } = err;
      lastAdvice.set(stream, err.advice());
      // No stack: the cause is NATS's state, not hookswitch's code.
      const reason = err.cause instanceof Error ? err.cause.message : err.message;
      lines.add(
        { ...where, stream, reason },
        `message handed back to come again: ${err.message}; ${err.advice()}`,
      );
    },
    flush: () => lines.flush(),
  };
}
