/**
 * The `webhook-id` header: derived from the integration name and the event id only, so
 * every attempt, redelivery and replay of one event to one integration carries the same
 * id (receivers dedupe on it) and two integrations never share one.
 */
import { hash } from "node:crypto";

/** A byte no UTF-8 text holds: it marks an id hashed as UTF-16 (see below). */
const NOT_UTF8 = Buffer.from([0xff]);

export function webhookId(integrationName: string, eventId: string): string {
  // The newline cannot occur in an integration name (a DNS label), so no two
  // (name, event id) pairs hash the same input.
  // One call, no Hash object: a quarter of the cost, once per event and integration.
  const digest = eventId.isWellFormed()
    ? hash("sha256", `${integrationName}\n${eventId}`, "hex")
    : hash("sha256", utf16Input(`${integrationName}\n`, eventId), "hex");
  return `msg_${digest.slice(0, 32)}`;
}

/**
 * An id with a lone surrogate has no UTF-8 form: as text, every lone surrogate hashed as
 * U+FFFD, and ids that differ only there ("a\ud800", "a\udc00") shared one webhook-id (the
 * receiver dropped one event as a duplicate, and JetStream one's retry). Such a text is
 * hashed as `prefix` in UTF-8, then its UTF-16 units after a byte no UTF-8 text holds: no
 * well-formed text hashes the same. `Nats-Msg-Id`s made from event ids use it too.
 */
export function utf16Input(prefix: string, text: string): Buffer {
  return Buffer.concat([Buffer.from(prefix, "utf8"), NOT_UTF8, Buffer.from(text, "utf16le")]);
}
