/**
 * Dead letters read and removed by id (their stream sequence), for `dlq replay` and `dlq
 * purge` of ids: each read tells whose record it is.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { parseRecord } from "./dead-letter-list.js";
import { DEAD_LETTER_STREAM, deadLetterOwner, type ListedDeadLetter } from "./records.js";

const MESSAGE_NOT_FOUND = 10037;
const NO_MESSAGE_FOUND = 10057;
const DELETE_FAILED = 10043;

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
  const record = { ...parseRecord(stored.string(), stored.subject), id };
  return { record, owner: deadLetterOwner(stored.subject) };
}

export async function deleteRecord(jsm: JetStreamManager, id: number): Promise<boolean> {
  try {
    return await jsm.streams.deleteMessage(DEAD_LETTER_STREAM, id);
  } catch (err) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    if (code === NO_MESSAGE_FOUND || code === MESSAGE_NOT_FOUND) return false;
    // A sequence removed before, between records still there: "sequence N not found".
    if (code === DELETE_FAILED && String(message).includes("not found")) return false;
    throw err;
  }
}

export function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
