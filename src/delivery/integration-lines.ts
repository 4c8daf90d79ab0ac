/**
 * Lines about deliveries, logged per integration in bounded numbers. Whatever happens to
 * every delivery of an integration at once happens thousands of times a minute: a receiver
 * that refuses everything dead-letters each event (a warning each made 250,000 lines in half
 * an hour of a soak), and an integration switched off skips each delivery waiting for it. So,
 * per integration, the first lines of each interval are logged in full, and the rest are
 * counted and told in one line as the interval ends. Metrics count every one. The same by
 * another key (`createKeyedLines`): the store failures of each of hookswitch's streams.
 */
import type { Logger } from "pino";
import { IntervalLines } from "./interval-lines.js";

/** Lines of one integration logged in full per interval. */
export const FULL_LINES_PER_INTERVAL = 10;
const LINES_INTERVAL_MS = 60_000;

export interface IntegrationLines<Line extends { integration: string }> {
  /** Logs `line` with `message`, or counts it for its integration's summary. */
  add(line: Line, message: string): void;
  /** Tells now what is counted and not told yet (at stop). */
  flush(): void;
  /** Drops what it holds of an integration removed a while ago, telling its count first. */
  forget(integration: string): void;
}

export interface IntegrationLinesOptions {
  level: "info" | "warn" | "error";
  /** The line that tells how many were not logged, for one integration. */
  summary: (integration: string, notLogged: number, perInterval: number, seconds: number) => string;
  perInterval?: number;
  intervalMs?: number;
  now?: () => number;
}

/** How many lines per interval, and the clock: tests set them. */
export type LinesTiming = Pick<IntegrationLinesOptions, "perInterval" | "intervalMs" | "now">;

export function createIntegrationLines<Line extends { integration: string }>(
  log: Logger,
  options: IntegrationLinesOptions,
): IntegrationLines<Line> {
  return createKeyedLines<Line>(log, { ...options, keyField: "integration" });
}

/** The same, for lines counted by another of their fields (a stream's name, say). */
export interface KeyedLines<Line> {
  add(line: Line, message: string): void;
  flush(): void;
  forget(key: string): void;
}

interface Counted {
  lines: IntervalLines;
  timer: NodeJS.Timeout | undefined;
}

export function createKeyedLines<Line extends object>(
  log: Logger,
  options: IntegrationLinesOptions & { keyField: keyof Line & string },
): KeyedLines<Line> {
  const { level, summary, keyField } = options;
  const intervalMs = options.intervalMs ?? LINES_INTERVAL_MS;
  const perInterval = options.perInterval ?? FULL_LINES_PER_INTERVAL;
  // A monotonic clock: a wall clock stepped back would keep the full lines silent that long.
  const now = options.now ?? (() => performance.now());
  const byKey = new Map<string, Counted>();

  const tell = (key: string, counted: Counted) => {
    clearTimeout(counted.timer);
    counted.timer = undefined;
    const notLogged = counted.lines.takeUnlogged();
    if (notLogged === 0) return;
    const seconds = Math.round(intervalMs / 1000);
    log[level]({ [keyField]: key, notLogged }, summary(key, notLogged, perInterval, seconds));
  };

  return {
    add(line, message) {
      const key = String(line[keyField]);
      let counted = byKey.get(key);
      if (counted === undefined) {
        counted = { lines: new IntervalLines(perInterval, intervalMs), timer: undefined };
        byKey.set(key, counted);
      }
      const at = now();
      if (counted.lines.take(at)) {
        log[level]({ ...line } as object, message);
        return;
      }
      if (counted.timer !== undefined) return;
      const ending = counted;
      counted.timer = setTimeout(
        () => tell(key, ending),
        Math.max(0, (counted.lines.endsAt() ?? at) - at),
      );
      counted.timer.unref();
    },
    flush() {
      for (const [key, counted] of byKey) tell(key, counted);
    },
    forget(key) {
      const counted = byKey.get(key);
      if (counted === undefined) return;
      tell(key, counted);
      byKey.delete(key);
    },
  };
}
