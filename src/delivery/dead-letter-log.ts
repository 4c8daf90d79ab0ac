/**
 * How dead letters reach the log. A receiver that refuses everything (a wrong URL answering
 * 404, an endpoint gone with 410) dead-letters every event sent to it: a warning each made
 * 250,000 lines in half an hour of a soak at 50 events a second. So, per integration, the first
 * lines of each interval are logged in full, with webhook-id, event and reason, and the rest
 * are counted and told in one line as the interval ends. `hookswitch_deliveries_total`
 * counts every one, and the dead-letter queue keeps each with its attempts.
 */
import type { Logger } from "pino";
import { IntervalLines } from "./interval-lines.js";

/** Dead letters of one integration logged in full per interval. */
export const FULL_DEAD_LETTER_LINES = 10;
export const DEAD_LETTER_LOG_INTERVAL_MS = 60_000;

export interface DeadLetterLine {
  integration: string;
  webhookId: string;
  /** Printable, as the log shows it. */
  eventId: string;
  reason: string;
}

export interface DeadLetterLog {
  /** A delivery that was dead-lettered: logged, or counted for its integration's line. */
  deadLettered(line: DeadLetterLine): void;
  /** Tells now what is counted and not told yet (at stop). */
  flush(): void;
  /** Drops what it holds of an integration removed a while ago, telling its count first. */
  forget(integration: string): void;
}

interface Counted {
  lines: IntervalLines;
  timer: NodeJS.Timeout | undefined;
}

export function createDeadLetterLog(
  log: Logger,
  options: { perInterval?: number; intervalMs?: number; now?: () => number } = {},
): DeadLetterLog {
  const intervalMs = options.intervalMs ?? DEAD_LETTER_LOG_INTERVAL_MS;
  const perInterval = options.perInterval ?? FULL_DEAD_LETTER_LINES;
  // A monotonic clock: a wall clock stepped back would keep the full lines silent that long.
  const now = options.now ?? (() => performance.now());
  const byIntegration = new Map<string, Counted>();

  const tell = (integration: string, counted: Counted) => {
    clearTimeout(counted.timer);
    counted.timer = undefined;
    const unlogged = counted.lines.takeUnlogged();
    if (unlogged === 0) return;
    log.warn(
      { integration, notLogged: unlogged },
      `${unlogged} more ${unlogged === 1 ? "delivery" : "deliveries"} of ${integration} ` +
        `dead-lettered without a line each (the first ${perInterval} every ` +
        `${Math.round(intervalMs / 1000)} s are logged): hookswitch_deliveries_total counts ` +
        `them all, and \`hookswitch dlq list --integration ${integration}\` lists them`,
    );
  };

  return {
    deadLettered(line) {
      let counted = byIntegration.get(line.integration);
      if (counted === undefined) {
        counted = { lines: new IntervalLines(perInterval, intervalMs), timer: undefined };
        byIntegration.set(line.integration, counted);
      }
      const at = now();
      if (counted.lines.take(at)) {
        log.warn({ ...line }, "delivery dead-lettered");
        return;
      }
      if (counted.timer !== undefined) return;
      const ending = counted;
      counted.timer = setTimeout(
        () => tell(line.integration, ending),
        Math.max(0, (counted.lines.endsAt() ?? at) - at),
      );
      counted.timer.unref();
    },
    flush() {
      for (const [integration, counted] of byIntegration) tell(integration, counted);
    },
    forget(integration) {
      const counted = byIntegration.get(integration);
      if (counted === undefined) return;
      tell(integration, counted);
      byIntegration.delete(integration);
    },
  };
}
