/**
 * The records hookswitch keeps in JetStream: a delivery waiting for its next attempt,
 * and a dead letter. Both are JSON; `v` versions the shape.
 */
import type { AttemptRecord, WebhookRequest } from "./types.js";

/** Streams and subjects owned by hookswitch (beside the operator's event stream). */
export const DELIVERY_STREAM = "HOOKSWITCH_DELIVERIES";
export const DELIVERY_SUBJECT_PREFIX = "hookswitch.deliveries";
/**
 * Deliveries parked because their integration had no room, in the same stream: one
 * subject per integration, read by a consumer of their own only when it has room.
 */
export const PARKED_SUBJECT_PREFIX = "hookswitch.parked";
export const DEAD_LETTER_STREAM = "HOOKSWITCH_DLQ";
export const DEAD_LETTER_SUBJECT_PREFIX = "hookswitch.dlq";
/** Dead letters of messages that were not valid events (no integration to name). */
export const INVALID_EVENT_SUBJECT_TOKEN = "_invalid";

/**
 * Deliveries are namespaced by the event consumer's name, so that two deployments
 * (different `--consumer`) on one NATS never take each other's retries.
 */
export const deliverySubject = (consumer: string, integration: string) =>
  `${DELIVERY_SUBJECT_PREFIX}.${consumer}.${integration}`;
export const deliveryFilter = (consumer: string) => `${DELIVERY_SUBJECT_PREFIX}.${consumer}.>`;
export const parkedSubject = (consumer: string, integration: string) =>
  `${PARKED_SUBJECT_PREFIX}.${consumer}.${integration}`;
/** Both kinds of waiting delivery of one deployment: retries (and replays) and parked ones. */
export const waitingFilter = (consumer: string) => `hookswitch.*.${consumer}.*`;
/** The integration a delivery subject names: its last token (names hold no dots). */
export const integrationOfDeliverySubject = (subject: string) =>
  subject.slice(subject.lastIndexOf(".") + 1);
/**
 * A delivery record's `notBefore`, repeated in a header of its message: a record that
 * comes early is handed back without reading it.
 */
export const NOT_BEFORE_HEADER = "Hookswitch-Not-Before";
/**
 * Dead letters are namespaced by the consumer's name too: a deployment counts, lists,
 * replays and purges its own (`hookswitch.dlq.<consumer>.<integration>`, `_invalid` for
 * messages that were not valid events), never another's of an integration of the same name.
 */
export const deadLetterSubject = (consumer: string, integration: string | null) =>
  `${DEAD_LETTER_SUBJECT_PREFIX}.${consumer}.${integration ?? INVALID_EVENT_SUBJECT_TOKEN}`;
export const deadLetterFilter = (consumer: string) => `${DEAD_LETTER_SUBJECT_PREFIX}.${consumer}.*`;
/**
 * Dead letters stored before they were namespaced (`hookswitch.dlq.<integration>`, one
 * token fewer) belong to no deployment: every deployment's commands and count cover them.
 */
export const oldDeadLetterSubject = (integration: string | null) =>
  `${DEAD_LETTER_SUBJECT_PREFIX}.${integration ?? INVALID_EVENT_SUBJECT_TOKEN}`;
export const OLD_DEAD_LETTER_FILTER = `${DEAD_LETTER_SUBJECT_PREFIX}.*`;

/** Whose a dead letter's subject is: a consumer's name, or null for the old layout's. */
export function deadLetterOwner(subject: string): string | null {
  const tokens = subject.slice(DEAD_LETTER_SUBJECT_PREFIX.length + 1).split(".");
  return tokens.length > 1 ? (tokens[0] ?? null) : null;
}
/** The integration a dead letter's subject names (either layout), or null for `_invalid`. */
export function integrationOfDeadLetterSubject(subject: string): string | null {
  const token = subject.slice(subject.lastIndexOf(".") + 1);
  return token === "" || token === INVALID_EVENT_SUBJECT_TOKEN ? null : token;
}

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
   * empty history. A replay's own attempts, once it has some, replace them.
   */
  replayOf?: ReplayedEvidence;
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
  const attempts = before?.attempts ?? record.attempts;
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
