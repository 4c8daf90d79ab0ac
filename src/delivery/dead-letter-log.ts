/**
 * How dead letters reach the log: per integration, the first of each minute in full, with
 * webhook-id, event and reason, the rest counted (integration-lines.ts).
 * `hookswitch_deliveries_total` counts every one, and the dead-letter queue keeps each with
 * its attempts.
 */
import type { Logger } from "pino";
import { DEFAULT_CONSUMER } from "../nats/settings.js";
import {
  createIntegrationLines,
  type IntegrationLines,
  type LinesTiming,
} from "./integration-lines.js";

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
  flush(): void;
  forget(integration: string): void;
}

/**
 * The command that lists an integration's dead letters, with the deployment's --consumer
 * unless it is the default: without it, `dlq list` shows another deployment's.
 */
export function dlqListCommand(integration: string, consumer = DEFAULT_CONSUMER): string {
  const whose = consumer === DEFAULT_CONSUMER ? "" : ` --consumer ${consumer}`;
  return `\`hookswitch dlq list${whose} --integration ${integration}\``;
}

export function createDeadLetterLog(
  log: Logger,
  options: LinesTiming & { consumer?: string } = {},
): DeadLetterLog {
  const { consumer, ...timing } = options;
  const lines: IntegrationLines<DeadLetterLine> = createIntegrationLines(log, {
    ...timing,
    level: "warn",
    summary: (integration, notLogged, perInterval, seconds) =>
      `${notLogged} more ${notLogged === 1 ? "delivery" : "deliveries"} of ${integration} ` +
      `dead-lettered without a line each (the first ${perInterval} every ${seconds} s are ` +
      `logged): hookswitch_deliveries_total counts them all, and ` +
      `${dlqListCommand(integration, consumer)} lists them`,
  });
  return {
    deadLettered: (line) => lines.add(line, "delivery dead-lettered"),
    flush: () => lines.flush(),
    forget: (integration) => lines.forget(integration),
  };
}
