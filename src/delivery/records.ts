/**
 * The records hookswitch keeps in JetStream: a delivery waiting for its next attempt,
 * and a dead letter. Both are JSON; `v` versions the shape. Where they are kept:
 * nats/layout.ts.
 */
import type { AttemptRecord, WebhookRequest } from "./types.js";

/**
 * A delivery handed to the delivery stream: its first attempt could not run at once
 * (integration busy) or it failed and waits for a retry. Attempts carry the history.
 */
export interface DeliveryRecord {
  v: 1;
  webhookId: string;
  integration: string;
  /** The event exactly as received (parsed JSON). */
  event: unknown;
  attempts: AttemptRecord[];
  /** ISO time before which the next attempt must not start. */
  notBefore?: string;
  /**
   * How many times `dlq replay` has sent this delivery again (absent: never). It keeps
   * the ids of a replay's records apart from those of the run before it, which
   * JetStream's duplicate window would otherwise drop as already stored.
   */
  replays?: number;
  /**
   * A replay's dead letter as it stood (its attempts, last answer and request): a replay that
   * goes back to the queue unsent (its integration disabled or removed) keeps them, not an
   * empty history. Its attempts are the earlier ones until its retries carry them (below).
   */
  replayOf?: ReplayedEvidence;
  /**
   * The attempts of the runs before this replay (at most `EARLIER_ATTEMPTS_KEPT`, the
   * latest), carried by a replay's retries: its dead letter lists them before its own.
   */
  earlierAttempts?: AttemptRecord[];
}

/**
 * The most attempts of earlier runs a replay carries: each run has at most 100 (the most
 * `maxAttempts` allows), and a record replayed again and again must still fit one message.
 */
export const EARLIER_ATTEMPTS_KEPT = 500;

/** The attempts of the runs before this one, the latest `EARLIER_ATTEMPTS_KEPT`. */
export function earlierAttemptsOf(record: DeliveryRecord): AttemptRecord[] {
  const earlier = record.earlierAttempts ?? record.replayOf?.attempts ?? [];
  return Array.isArray(earlier) ? earlier.slice(-EARLIER_ATTEMPTS_KEPT) : [];
}

/** What a dead letter says of the attempts that put it there. */
export type ReplayedEvidence = Pick<
  DeadLetterRecord,
  "attempts" | "lastStatus" | "lastError" | "lastResponseBody" | "request"
>;

export interface DeadLetterRecord {
  v: 1;
  /** Null for messages that were not valid events. */
  integration: string | null;
  webhookId: string | null;
  eventId: string | null;
  reason: string;
  /** The event (parsed JSON), or the raw message text when it was not JSON. */
  event: unknown;
  /**
   * The message's bytes in base64 (at most its first 64 KiB) when they were not UTF-8 text,
   * which `event` could not keep as they were; `event` is then null.
   */
  eventBase64?: string;
  /** NATS subject the event arrived on. */
  subject?: string;
  attempts: AttemptRecord[];
  lastStatus: number | null;
  lastError: string | null;
  /** The start of the last response body (at most 1 KiB). */
  lastResponseBody: string | null;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  /** The last request with secrets masked, when there was one. */
  request?: WebhookRequest;
  deadAt: string;
  /** The delivery's replays so far (absent: never replayed); a replay adds one. */
  replays?: number;
  /**
   * What was left out so that the record fits in one NATS message: `request.body`,
   * `event` (only the start of its text is kept, so it cannot be replayed), `request`.
   */
  cut?: string[];
}

const TEXT_OR_NULL_FIELDS = [
  "integration",
  "webhookId",
  "eventId",
  "lastError",
  "lastResponseBody",
  "firstAttemptAt",
  "lastAttemptAt",
];

/** Whether a stored record has the shape of a dead letter, each field of its type. */
export function isDeadLetterRecord(value: unknown): value is DeadLetterRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  const text = (key: string) => typeof r[key] === "string";
  const textOrNull = (key: string) => r[key] === null || text(key);
  const absentOr = (key: string, type: string) => r[key] === undefined || typeof r[key] === type;
  return (
    r.v === 1 &&
    "event" in r &&
    Array.isArray(r.attempts) &&
    (r.lastStatus === null || typeof r.lastStatus === "number") &&
    ["reason", "deadAt"].every(text) &&
    TEXT_OR_NULL_FIELDS.every(textOrNull) &&
    absentOr("replays", "number") &&
    absentOr("subject", "string") &&
    absentOr("eventBase64", "string") &&
    absentOr("request", "object") &&
    (r.cut === undefined || Array.isArray(r.cut))
  );
}

/** A dead letter as listed: the record plus its id (the DLQ stream sequence). */
export interface ListedDeadLetter extends DeadLetterRecord {
  id: number;
}

/**
 * A dead letter that no delivery attempt produced: a message that was not a valid event,
 * or one that ran out of NATS deliveries. It names no integration; `dlq replay` publishes
 * a valid event of it again, and leaves the rest.
 */
export function unroutedDeadLetter(fields: {
  reason: string;
  event: unknown;
  eventBase64?: string;
  subject?: string;
  /** When it was dead-lettered: the caller reads the clock. */
  deadAt: string;
}): DeadLetterRecord {
  return {
    v: 1,
    integration: null,
    webhookId: null,
    eventId: eventIdOf(fields.event),
    reason: fields.reason,
    event: fields.event,
    ...(fields.eventBase64 === undefined ? {} : { eventBase64: fields.eventBase64 }),
    ...(fields.subject === undefined ? {} : { subject: fields.subject }),
    attempts: [],
    lastStatus: null,
    lastError: null,
    lastResponseBody: null,
    firstAttemptAt: null,
    lastAttemptAt: null,
    deadAt: fields.deadAt,
  };
}

/**
 * A delivery that goes back to the dead-letter queue without an attempt of its own: a
 * replay that found its integration disabled or removed.
 */
export function unsentDeadLetter(
  record: DeliveryRecord,
  reason: string,
  deadAt: string,
): DeadLetterRecord {
  const before = record.attempts.length === 0 ? record.replayOf : undefined;
  const attempts = [...earlierAttemptsOf(record), ...record.attempts];
  return {
    ...unroutedDeadLetter({ reason, event: record.event, deadAt }),
    integration: record.integration,
    webhookId: record.webhookId,
    attempts,
    ...(before && {
      lastStatus: before.lastStatus,
      lastError: before.lastError,
      lastResponseBody: before.lastResponseBody,
      ...(before.request ? { request: before.request } : {}),
    }),
    firstAttemptAt: attempts[0]?.at ?? null,
    lastAttemptAt: attempts.at(-1)?.at ?? null,
    ...(record.replays ? { replays: record.replays } : {}),
  };
}

/** The `id` of something that may or may not be a valid event. */
export function eventIdOf(event: unknown): string | null {
  if (event && typeof event === "object" && "id" in event && typeof event.id === "string") {
    return event.id;
  }
  return null;
}
