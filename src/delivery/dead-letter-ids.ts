/**
 * Dead letters read and removed by id (their stream sequence), for `dlq replay` and `dlq
 * purge` of ids: each read tells whose record it is.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { parseDeadLetterRecord } from "./dead-letter-list.js";
import { type ListedDeadLetter } from "./records.js";
import { DEAD_LETTER_STREAM, deadLetterOwner } from "../nats/layout.js";

/** JetStream's API error codes met when removing a record (nats-server's errors.json). */
const NO_MESSAGE_FOUND = 10037;
/** "Sequence N not found": a sequence removed before, between records still there. */
const SEQUENCE_NOT_FOUND = 10043;
/** A delete the store refused, with the store's reason: "no message found" among others. */
const DELETE_FAILED = 10057;

/** A record read by id, and whose it is: a consumer's name, or null for the old layout. */
export interface StoredDeadLetter {
  record: ListedDeadLetter;
  owner: string | null;
}

export async function getRecord(
  jsm: JetStreamManager,
  id: number,
): Promise<StoredDeadLetter | null> {
  const stored = await jsm.streams.getMessage(DEAD_LETTER_STREAM, { seq: id });
  if (stored === null) return null;
  const record = { ...parseDeadLetterRecord(stored.string(), stored.subject), id };
  return { record, owner: deadLetterOwner(stored.subject) };
}

export async function deleteRecord(jsm: JetStreamManager, id: number): Promise<boolean> {
  try {
    return await jsm.streams.deleteMessage(DEAD_LETTER_STREAM, id);
  } catch (err) {
    if (alreadyGone(err)) return false;
    throw err;
  }
}

/**
 * Whether a failed removal says the record is not there (removed before): any other failure
 * of the store (a disk error, say) must not pass for that, or a replayed dead letter would
 * stay in the queue and be sent again by the next replay.
 */
export function alreadyGone(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code === NO_MESSAGE_FOUND) return true;
  // 2.9 says "stream store EOF" of a sequence past the last one.
  const notFound = /not found|no message found|store EOF/i.test(String(message));
  return (code === SEQUENCE_NOT_FOUND || code === DELETE_FAILED) && notFound;
}

export function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
