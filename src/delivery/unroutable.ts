/**
 * Why a message goes to no integration but whole to the dead-letter queue: what its log
 * line calls it, what is wrong with it, and the reason its dead letter keeps.
 */
export interface Unroutable {
  what: "invalid event" | "event larger than --max-event-size";
  /** What is wrong, as the log line says it. */
  detail: string;
  /** As the dead letter says it. */
  reason: string;
}

export function invalidEvent(detail: string): Unroutable {
  return { what: "invalid event", detail, reason: `invalid event: ${detail}` };
}

/**
 * An event that is valid but larger than `--max-event-size`: its log line says what to do,
 * as its dead letter does.
 */
export function oversizedEvent(text: string): Unroutable {
  return { what: "event larger than --max-event-size", detail: text, reason: text };
}
