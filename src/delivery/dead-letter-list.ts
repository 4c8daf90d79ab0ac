/**
 * Reading the dead-letter queue's records in order, for `dlq list` and for `dlq replay`
 * of an integration or of all.
 */
import { DeliverPolicy, type Consumer, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import { DeadLetterListIncompleteError } from "../errors.js";
import {
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT_PREFIX,
  deadLetterSubject,
  unroutedDeadLetter,
  type DeadLetterRecord,
  type ListedDeadLetter,
} from "./records.js";

const FETCH_BATCH = 500;
const FETCH_EXPIRES_MS = 2_000;
/** Fetches in a row that bring nothing while records are left to read, at most. */
const MAX_EMPTY_FETCHES = 5;

/**
 * Every matching record, oldest first: as many as were there when the listing started
 * (records stored meanwhile, by a flood of invalid events, cannot keep it going).
 *
 * No clock: a listing that stopped after 30 s returned the first records only, as if they
 * were all (1,500 dead letters of 900 KB took 90 s), and `replay --all` said it had
 * replayed them. And a fetch of big records can expire while some are on their way: the
 * server counts them delivered, the client drops them, and the next fetch brings nothing.
 * Reading then starts again after the last record read.
 */
export async function listRecords(
  js: JetStreamClient,
  integration?: string,
  shape: (record: ListedDeadLetter) => ListedDeadLetter = (record) => record,
): Promise<ListedDeadLetter[]> {
  const subject =
    integration === undefined ? `${DEAD_LETTER_SUBJECT_PREFIX}.>` : deadLetterSubject(integration);
  const reader = (afterSeq: number) =>
    js.consumers.get(DEAD_LETTER_STREAM, {
      filter_subjects: subject,
      ...(afterSeq > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 }
        : {}),
    });
  let consumer = await reader(0);
  try {
    const total = (await consumer.info(true)).num_pending;
    const records: ListedDeadLetter[] = [];
    for (let empty = 0; records.length < total;) {
      const read = await fetchInto(consumer, records, total - records.length, shape);
      if (read.atEnd) break;
      if (read.count > 0) {
        empty = 0;
        continue;
      }
      // Part of a list is not the list: `replay --all` would say it replayed them all.
      if (++empty >= MAX_EMPTY_FETCHES)
        throw new DeadLetterListIncompleteError(records.length, total);
      await consumer.delete().catch(() => undefined);
      consumer = await reader(records.at(-1)?.id ?? 0);
      // Nothing left after the last record read: the rest were removed meanwhile.
      if ((await consumer.info(true)).num_pending === 0) break;
    }
    return records;
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

/** One fetch of at most `wanted` records into `records`; `atEnd` once none is pending. */
async function fetchInto(
  consumer: Consumer,
  records: ListedDeadLetter[],
  wanted: number,
  shape: (record: ListedDeadLetter) => ListedDeadLetter,
) {
  const batch = await consumer.fetch({
    max_messages: Math.min(wanted, FETCH_BATCH),
    expires: FETCH_EXPIRES_MS,
  });
  let count = 0;
  for await (const m of batch) {
    records.push(shape(toListed(m)));
    count++;
    if (m.info.pending === 0) return { count, atEnd: true };
  }
  return { count, atEnd: false };
}

/** A record without its event, request and answer: what a table of dead letters shows. */
export function briefly(record: ListedDeadLetter): ListedDeadLetter {
  const brief: ListedDeadLetter = { ...record, event: null, lastResponseBody: null };
  delete brief.request;
  delete brief.eventBase64;
  return brief;
}

function toListed(m: JsMsg): ListedDeadLetter {
  return { ...parseRecord(m.string(), m.subject), id: m.seq };
}

/** A record someone else put there may not be ours: show it rather than fail the listing. */
export function parseRecord(text: string, subject: string): DeadLetterRecord {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === "object" && parsed !== null && (parsed as { v?: unknown }).v === 1) {
      return parsed as DeadLetterRecord;
    }
  } catch {
    // fall through to the placeholder below
  }
  return {
    ...unroutedDeadLetter({
      reason: "unreadable dead-letter record",
      event: text,
      deadAt: new Date(0).toISOString(),
    }),
    integration: integrationOfSubject(subject),
  };
}

function integrationOfSubject(subject: string): string | null {
  const token = subject.slice(DEAD_LETTER_SUBJECT_PREFIX.length + 1);
  return token === "" || token === deadLetterSubject(null).split(".").pop() ? null : token;
}
