/**
 * How skipped deliveries reach the log. Switching an integration off (or removing it) skips
 * every delivery waiting for it, retries and parked ones, as each comes up: a slow receiver's
 * backlog made 1,600 lines in 40 s of an incident drill. Per integration, the first of each
 * minute are logged in full, with webhook-id and event id (to tell which events it never
 * got), the rest counted (integration-lines.ts).
 */
import type { Logger } from "pino";
import {
  createIntegrationLines,
  type IntegrationLines,
  type LinesTiming,
} from "./integration-lines.js";

export interface SkipLine {
  integration: string;
  webhookId: string;
  /** As the log shows it ("(none)" for a record without one). */
  eventId: string;
  /** "disabled", "removed", or "no longer matches the event (…)" after a scope or trigger change. */
  why: string;
}

export interface SkipLog {
  skipped(line: SkipLine): void;
  flush(): void;
  forget(integration: string): void;
}

export function createSkipLog(log: Logger, timing: LinesTiming = {}): SkipLog {
  const lines: IntegrationLines<SkipLine> = createIntegrationLines(log, {
    ...timing,
    level: "info",
    summary: (integration, notLogged, perInterval, seconds) =>
      `${notLogged} more ${notLogged === 1 ? "delivery" : "deliveries"} of ${integration} ` +
      `skipped without a line each (the first ${perInterval} every ${seconds} s are ` +
      `logged): hookswitch_deliveries_total{outcome="skipped"} counts them all`,
  });
  return {
    skipped: (line) => lines.add(line, `delivery skipped: integration ${line.why}`),
    flush: () => lines.flush(),
    forget: (integration) => lines.forget(integration),
  };
}
