/**
 * Reading the dead-letter queue's records in order, one at a time, for `dlq list` and for
 * `dlq replay` of an integration or of all: a few fetched records are in memory at once,
 * however many the queue holds and however big they are. A deployment's records and those
 * of the old layout are two subject filters (nats-server 2.9 has no consumer of several),
 * read side by side and merged in id order. A server whose subject index cannot be trusted
 * (nats/server-version.ts) is read whole instead, each record kept when a filter takes it.
 */
import {
  DeliverPolicy,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { DeadLetterListIncompleteError } from "../errors.js";
import {
  isDeadLetterRecord,
  unroutedDeadLetter,
  type DeadLetterRecord,
  type ListedDeadLetter,
} from "./records.js";
import { DEAD_LETTER_STREAM, integrationOfDeadLetterSubject } from "../nats/layout.js";
import { subjectCovers } from "../nats/subjects.js";

/** What the records of one fetch take at most, each counted as large as a message can be. */
const FETCH_BYTES = 8 * 1024 * 1024;
/** Records one fetch asks for at most, however small they are. */
const MAX_FETCH_BATCH = 500;
const FETCH_EXPIRES_MS = 2_000;
/** Fetches in a row that bring nothing while records are left to read, at most. */
const MAX_EMPTY_FETCHES = 5;

/**
 * How many records one fetch (or one round of reads by id) asks for: as many as fit in
 * FETCH_BYTES were each as large as the server's `max_payload`. The client takes a fetch's
 * bound in records or in bytes, not both, and one in bytes alone ends with an error as soon
 * as the next record does not fit.
 */
export function fetchBatch(maxPayload: number): number {
  const fitting = Math.floor(FETCH_BYTES / Math.max(1, maxPayload));
  return Math.max(1, Math.min(MAX_FETCH_BATCH, fitting));
}

export interface ReadScope {
  /** Subject filters whose records are read, each by a reader of its own. */
  subjects: string[];
  /** The server's largest message: what one record may take. */
  maxPayload: number;
  /** Read every record of the stream, keeping those of `subjects`: no filter on the server. */
  wholeStream?: boolean;
}

/**
 * The records of every filter, merged oldest first. The readers share one fetch's bytes, so
 * that reading two filters holds no more at once than reading one.
 */
export function readRecords(
  js: JetStreamClient,
  jsm: JetStreamManager,
  scope: ReadScope,
): AsyncGenerator<ListedDeadLetter> {
  if (scope.wholeStream === true) {
    const kept = (subject: string) => scope.subjects.some((f) => subjectCovers(f, subject));
    return readSubject(js, jsm, { kept }, scope.maxPayload);
  }
  const share = scope.maxPayload * Math.max(1, scope.subjects.length);
  const readers = scope.subjects.map((filter) => readSubject(js, jsm, { filter }, share));
  return readers.length === 1 && readers[0] ? readers[0] : mergeById(readers);
}

/** Several readers' records, each oldest first, as one list oldest first. */
async function* mergeById(
  sources: AsyncGenerator<ListedDeadLetter>[],
): AsyncGenerator<ListedDeadLetter> {
  try {
    const heads = await Promise.all(sources.map((source) => source.next()));
    for (;;) {
      let pick = -1;
      heads.forEach((head, i) => {
        const best = heads[pick];
        if (!head.done && (best === undefined || best.done || head.value.id < best.value.id)) {
          pick = i;
        }
      });
      const source = sources[pick];
      const head = heads[pick];
      if (source === undefined || head === undefined || head.done) return;
      yield head.value;
      heads[pick] = await source.next();
    }
  } finally {
    // A listing left part way (`| head`, an error) removes every reader's consumer.
    await Promise.allSettled(sources.map((source) => source.return(undefined)));
  }
}

/**
 * Every matching record stored before the reading started, oldest first (records stored
 * meanwhile, by a flood of invalid events or a replay dead-lettered again, cannot keep it
 * going), each yielded as it is read.
 *
 * No clock: a listing that stopped after 30 s returned the first records only, as if they
 * were all (1,500 dead letters of 900 KB took 90 s), and `replay --all` said it had
 * replayed them. And a fetch of big records can expire while some are on their way: the
 * server counts them delivered, the client drops them, and the next fetch brings nothing;
 * a reader held back long enough (`dlq list --json | less`) finds its consumer removed as
 * idle, and the fetch fails. Reading then starts again after the last record read.
 */
async function* readSubject(
  js: JetStreamClient,
  jsm: JetStreamManager,
  which: { filter: string } | { kept: (subject: string) => boolean },
  maxPayload: number,
): AsyncGenerator<ListedDeadLetter> {
  const kept = "kept" in which ? which.kept : undefined;
  const reader = (afterSeq: number) =>
    js.consumers.get(DEAD_LETTER_STREAM, {
      ...("filter" in which ? { filter_subjects: which.filter } : {}),
      ...(afterSeq > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 }
        : {}),
    });
  const lastSeq = (await jsm.streams.info(DEAD_LETTER_STREAM)).state.last_seq;
  const batchSize = fetchBatch(maxPayload);
  let consumer = await reader(0);
  try {
    const total = (await consumer.info(true)).num_pending;
    const progress = { read: 0, lastId: 0, atEnd: false };
    for (let empty = 0; progress.read < total;) {
      const before = progress.read;
      let failure: unknown;
      try {
        const wanted = Math.min(total - progress.read, batchSize);
        yield* fetchRecords(consumer, { wanted, lastSeq, kept }, progress);
      } catch (err) {
        failure = err;
      }
      if (progress.atEnd) return;
      if (progress.read > before) {
        empty = 0;
        continue;
      }
      // Part of a list is not the list: `replay --all` would say it replayed them all.
      if (++empty >= MAX_EMPTY_FETCHES) {
        throw new DeadLetterListIncompleteError(progress.read, total, { cause: failure });
      }
      await consumer.delete().catch(() => undefined);
      consumer = await reader(progress.lastId);
      // Nothing left after the last record read: the rest were removed meanwhile.
      if ((await consumer.info(true)).num_pending === 0) return;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

/**
 * One fetch of at most `wanted` records, each yielded as it comes unless `kept` leaves it out
 * (it counts as read all the same); `atEnd` once none is pending or one was stored after
 * `lastSeq`.
 */
async function* fetchRecords(
  consumer: Consumer,
  {
    wanted,
    lastSeq,
    kept,
  }: { wanted: number; lastSeq: number; kept?: (subject: string) => boolean },
  progress: { read: number; lastId: number; atEnd: boolean },
): AsyncGenerator<ListedDeadLetter> {
  const batch = await consumer.fetch({ max_messages: wanted, expires: FETCH_EXPIRES_MS });
  for await (const m of batch) {
    if (m.seq > lastSeq) {
      progress.atEnd = true;
      return;
    }
    progress.read++;
    progress.lastId = m.seq;
    if (kept === undefined || kept(m.subject)) yield toListed(m);
    if (m.info.pending === 0) {
      progress.atEnd = true;
      return;
    }
  }
}

function toListed(m: JsMsg): ListedDeadLetter {
  return { ...parseDeadLetterRecord(m.string(), m.subject), id: m.seq };
}

/** The reason a dead letter not of hookswitch's making is listed with. */
export const UNREADABLE_RECORD = "unreadable dead-letter record";

/**
 * A record someone else put there may not be ours: show it rather than fail the listing, and
 * one that says it is ours but lacks what a record holds is shown as unreadable too (a table
 * or a replay of it would fail on the first field missing).
 */
export function parseDeadLetterRecord(text: string, subject: string): DeadLetterRecord {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (isDeadLetterRecord(parsed)) return parsed;
  } catch {
    // Not JSON: listed as unreadable, with its text, like a record of another format.
  }
  return {
    ...unroutedDeadLetter({
      reason: UNREADABLE_RECORD,
      event: text,
      deadAt: new Date(0).toISOString(),
    }),
    integration: integrationOfDeadLetterSubject(subject),
  };
}
