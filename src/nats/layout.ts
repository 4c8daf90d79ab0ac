/**
 * Where hookswitch keeps its own records in JetStream, beside the operator's event stream:
 * its streams, and the subjects of deliveries waiting and of dead letters, each namespaced
 * by the deployment's `--consumer`.
 */

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
