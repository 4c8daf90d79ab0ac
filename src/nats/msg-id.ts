/**
 * `Nats-Msg-Id` headers made from a publisher's text (an event id), for JetStream's
 * duplicate detection.
 */
import { hash } from "node:crypto";

/** The longest text used as a message id as it is. */
export const MAX_PLAIN_MSG_ID = 128;

/**
 * The text itself, or a SHA-256 of it when a header cannot carry it as it is: the client
 * refuses a header value with CR or LF (the publish fails) and trims white space (" a"
 * would pass for a duplicate of "a"), and the header travels inside the message, so a
 * 500 KB id beside its event would not fit in NATS's 1 MiB. The hash deduplicates the
 * same: one text, one id.
 */
export function msgIdOf(text: string): string {
  if (!text.isWellFormed()) return `sha256:${hash("sha256", utf16Input(text), "hex")}`;
  const plain = text.length <= MAX_PLAIN_MSG_ID && !/[\r\n]/.test(text) && text.trim() === text;
  if (plain) return text;
  return `sha256:${hash("sha256", text, "hex")}`;
}

/**
 * A lone surrogate has no UTF-8 form: as UTF-8 (in a header, or hashed) it is U+FFFD, and
 * ids that differ only there would pass for duplicates. Such a text is hashed as its UTF-16
 * units after a byte no UTF-8 text holds, so that no well-formed text hashes the same.
 */
function utf16Input(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff]), Buffer.from(text, "utf16le")]);
}
