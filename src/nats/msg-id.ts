/**
 * `Nats-Msg-Id` headers made from a publisher's text (an event id), for JetStream's
 * duplicate detection.
 */
import { hash } from "node:crypto";
import { utf16Input } from "../delivery/webhook-id.js";

/** The longest text used as a message id as it is. */
const MAX_PLAIN_MSG_ID = 128;

/**
 * The text itself, or a SHA-256 of it when a header cannot carry it as it is: the client
 * refuses a header value with CR or LF (the publish fails) and trims white space (" a"
 * would pass for a duplicate of "a"), and the header travels inside the message, so a
 * 500 KB id beside its event would not fit in NATS's 1 MiB. The hash deduplicates the
 * same: one text, one id.
 */
export function msgIdOf(text: string): string {
  if (!text.isWellFormed()) return `sha256:${hash("sha256", utf16Input("", text), "hex")}`;
  const plain = text.length <= MAX_PLAIN_MSG_ID && !/[\r\n]/.test(text) && text.trim() === text;
  if (plain) return text;
  return `sha256:${hash("sha256", text, "hex")}`;
}
