/**
 * How invalid events reach the log. A publisher that starts sending a format hookswitch does
 * not know sends little else: a warning per message made 20,000 lines of a flood of 20,000,
 * and writing them was a quarter of the daemon's work per message (the valid events behind
 * them waited for it). So the first lines of each interval are logged in full, subject and
 * reason, and the rest are counted and told in one line as the interval ends.
 * `hookswitch_events_invalid_total` counts every one, and the dead-letter queue keeps each.
 */
import type { Logger } from "pino";
import { dlqListCommand } from "./dead-letter-log.js";
import { IntervalLines } from "./interval-lines.js";
import { INVALID_EVENT_SUBJECT_TOKEN } from "../nats/layout.js";

/** Invalid events logged in full per interval: enough to show a flood's kinds of reason. */
export const FULL_LINES_PER_INTERVAL = 10;
export const INVALID_LOG_INTERVAL_MS = 60_000;

export interface InvalidEventLog {
  /** An invalid event that is being dead-lettered: logged, or counted for the interval's line. */
  /** `what` names it in its line: an invalid event unless said otherwise. */
  invalid(subject: string, reason: string, what?: string): void;
  /** Tells now what is counted and not told yet (at stop). */
  flush(): void;
}

export function createInvalidEventLog(
  log: Logger,
  options: {
    perInterval?: number;
    intervalMs?: number;
    now?: () => number;
    consumer?: string;
  } = {},
): InvalidEventLog {
  const intervalMs = options.intervalMs ?? INVALID_LOG_INTERVAL_MS;
  const perInterval = options.perInterval ?? FULL_LINES_PER_INTERVAL;
  const lines = new IntervalLines(perInterval, intervalMs);
  // A monotonic clock: a wall clock stepped back would keep the full lines silent that long.
  const now = options.now ?? (() => performance.now());
  let timer: NodeJS.Timeout | undefined;

  const tell = () => {
    clearTimeout(timer);
    timer = undefined;
    const unlogged = lines.takeUnlogged();
    if (unlogged === 0) return;
    log.warn(
      { notLogged: unlogged },
      `${unlogged} more invalid ${unlogged === 1 ? "event was" : "events were"} dead-lettered ` +
        `without a line each (the first ${perInterval} ` +
        `every ${Math.round(intervalMs / 1000)} s are logged): hookswitch_events_invalid_total ` +
        `counts them all, and ${dlqListCommand(INVALID_EVENT_SUBJECT_TOKEN, options.consumer)} lists them`,
    );
  };

  return {
    invalid(subject, reason, what = "invalid event") {
      const at = now();
      if (lines.take(at)) {
        log.warn({ subject, reason }, `${what} dead-lettered`);
        return;
      }
      if (timer !== undefined) return;
      timer = setTimeout(tell, Math.max(0, (lines.endsAt() ?? at) - at));
      timer.unref();
    },
    flush: tell,
  };
}
