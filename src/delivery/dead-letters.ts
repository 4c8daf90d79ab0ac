/**
 * The dead-letter queue: one JSON record per message in HOOKSWITCH_DLQ, on the subject
 * of its integration. A record's id is its stream sequence. Nothing removes records but
 * `remove` and `purge`, which only `dlq replay` and `dlq purge` call.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { NoRespondersError } from "@nats-io/transport-node";
import { errorChain, NoStreamError } from "../errors.js";
import { briefly, listRecords, parseRecord } from "./dead-letter-list.js";
import { fitDeadLetter } from "./dead-letter-size.js";
import {
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT_PREFIX,
  deadLetterSubject,
  type DeadLetterRecord,
  type ListedDeadLetter,
} from "./records.js";

export interface DeadLetterStore {
  /** Stores a record durably; resolves with its id once the server has it. */
  add(record: DeadLetterRecord, options?: { msgId?: string }): Promise<number>;
  /**
   * The records, oldest first. `brief` leaves out each one's event, request and answer as
   * it is read (what a table shows stays): the whole of 1,500 records of 900 KB took 1.7 GB.
   */
  list(
    filter?: { integration?: string },
    options?: { brief?: boolean },
  ): Promise<ListedDeadLetter[]>;
  /** The records with these ids; ids that do not exist are left out. */
  get(ids: number[]): Promise<ListedDeadLetter[]>;
  /** Removes these records; resolves with the ids that were there and are now gone. */
  remove(ids: number[]): Promise<number[]>;
  /** Removes the records of one integration, or all of them; resolves with how many. */
  purge(scope: { integration?: string; all?: boolean }): Promise<number>;
  count(): Promise<number>;
}

/**
 * The queue of a NATS (account) where HOOKSWITCH_DLQ does not exist: no daemon has run there
 * yet, so it holds nothing. `dlq` reads it so rather than create the stream, which would
 * take the replicas the daemon's --stream-replicas asks for (1, not 3) for good.
 */
export const ABSENT_DEAD_LETTER_STORE: DeadLetterStore = {
  add: () => Promise.reject(new NoStreamError(DEAD_LETTER_SUBJECT_PREFIX, DEAD_LETTER_STREAM)),
  list: () => Promise.resolve([]),
  get: () => Promise.resolve([]),
  remove: () => Promise.resolve([]),
  purge: () => Promise.resolve(0),
  count: () => Promise.resolve(0),
};

const GET_CONCURRENCY = 64;
const MESSAGE_NOT_FOUND = 10037;
const NO_MESSAGE_FOUND = 10057;
const DELETE_FAILED = 10043;

export interface DeadLetterStoreOptions {
  /** The server's largest message (its `max_payload`); a record is cut to fit in it. */
  maxPayload?: () => number;
}

/** NATS's default `max_payload`. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

export function createDeadLetterStore(
  js: JetStreamClient,
  jsm: JetStreamManager,
  options: DeadLetterStoreOptions = {},
): DeadLetterStore {
  const maxPayload = options.maxPayload ?? (() => DEFAULT_MAX_PAYLOAD);
  return {
    async add(record, addOptions = {}) {
      const msgID = addOptions.msgId ?? defaultMsgId(record);
      const fitted = fitDeadLetter(record, maxPayload());
      const subject = deadLetterSubject(record.integration);
      try {
        return (await js.publish(subject, fitted.text, { msgID })).seq;
      } catch (err) {
        throw noStreamOr(err, subject);
      }
    },
    list: (filter = {}, listOptions = {}) =>
      listRecords(js, filter.integration, listOptions.brief ? briefly : undefined),
    async get(ids) {
      const found: ListedDeadLetter[] = [];
      for (const batch of chunks(unique(ids), GET_CONCURRENCY)) {
        const records = await Promise.all(batch.map((id) => getRecord(jsm, id)));
        for (const record of records) if (record) found.push(record);
      }
      return found;
    },
    async remove(ids) {
      const removed: number[] = [];
      for (const id of unique(ids)) {
        if (await deleteRecord(jsm, id)) removed.push(id);
      }
      return removed;
    },
    async purge(scope) {
      if (scope.all) return (await jsm.streams.purge(DEAD_LETTER_STREAM)).purged;
      if (scope.integration === undefined) throw new Error("purge needs an integration or all");
      const filter = deadLetterSubject(scope.integration);
      return (await jsm.streams.purge(DEAD_LETTER_STREAM, { filter })).purged;
    },
    async count() {
      return (await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages;
    },
  };
}

/**
 * The NATS client reports a publish that no stream took (no responders) as "jetstream is
 * not enabled". For a subject of ours it means HOOKSWITCH_DLQ is gone: say so, as an
 * error the daemon recognises as a missing stream (and sets the stream up again).
 */
function noStreamOr(err: unknown, subject: string): unknown {
  return errorChain(err).some((e) => e instanceof NoRespondersError)
    ? new NoStreamError(subject, DEAD_LETTER_STREAM, { cause: err })
    : err;
}

/**
 * Dedups a republish of the same dead-lettering (a crash between storing the record
 * and acking its source), but never a later dead-lettering of a replayed delivery,
 * which carries fresh attempts.
 */
function defaultMsgId(record: DeadLetterRecord): string | undefined {
  if (record.webhookId === null) return undefined;
  return `dlq:${record.webhookId}:${record.attempts.length}:${record.lastAttemptAt ?? record.deadAt}`;
}

async function getRecord(jsm: JetStreamManager, id: number): Promise<ListedDeadLetter | null> {
  const stored = await jsm.streams.getMessage(DEAD_LETTER_STREAM, { seq: id });
  if (stored === null) return null;
  return { ...parseRecord(stored.string(), stored.subject), id };
}

async function deleteRecord(jsm: JetStreamManager, id: number): Promise<boolean> {
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

function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
