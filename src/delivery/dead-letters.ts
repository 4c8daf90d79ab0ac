/**
 * The dead-letter queue: one JSON record per message in HOOKSWITCH_DLQ, on the subject
 * of its integration. A record's id is its stream sequence. Nothing removes records but
 * `remove` and `purge`, which only `dlq replay` and `dlq purge` call.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { NoRespondersError } from "@nats-io/transport-node";
import { errorChain, NoStreamError } from "../errors.js";
import type { StoredPublisher } from "../nats/stored-publish.js";
import { fetchBatch, parseRecord, readRecords } from "./dead-letter-list.js";
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
   * Stores a record durably, as `add`, for a caller that needs no id back (the daemon):
   * with a message id, through the shared publisher when the store has one, which sends the
   * records of one turn in one socket write and makes no request of each.
   */
  keep(record: DeadLetterRecord, options?: { msgId?: string }): Promise<void>;
  /**
   * The records stored before the reading started, oldest first, each yielded as it is
   * read: a few are in memory at once, however many and however big (1,500 records of
   * 900 KB took 1.7 GB held together).
   */
  read(filter?: { integration?: string }): AsyncIterable<ListedDeadLetter>;
  /** The records with these ids, a few read at once; ids that do not exist are left out. */
  readIds(ids: number[]): AsyncIterable<ListedDeadLetter>;
  /** Whether records of integrations' deliveries (not of whole events) are there. */
  holdsDeliveries(filter?: { integration?: string }): Promise<boolean>;
  /** Removes these records; resolves with the ids that were there and are now gone. */
  remove(ids: number[]): Promise<number[]>;
  /** Removes the records of one integration, or all of them; resolves with how many. */
  purge(scope: { integration?: string; all?: boolean }): Promise<number>;
  count(): Promise<number>;
}

const NO_RECORDS: AsyncIterable<ListedDeadLetter> = {
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
};

/**
 * The queue of a NATS (account) where HOOKSWITCH_DLQ does not exist: no daemon has run there
 * yet, so it holds nothing. `dlq` reads it so rather than create the stream, which would
 * take the replicas the daemon's --stream-replicas asks for (1, not 3) for good.
 */
export const ABSENT_DEAD_LETTER_STORE: DeadLetterStore = {
  add: () => Promise.reject(new NoStreamError(DEAD_LETTER_SUBJECT_PREFIX, DEAD_LETTER_STREAM)),
  keep: () => Promise.reject(new NoStreamError(DEAD_LETTER_SUBJECT_PREFIX, DEAD_LETTER_STREAM)),
  read: () => NO_RECORDS,
  readIds: () => NO_RECORDS,
  holdsDeliveries: () => Promise.resolve(false),
  remove: () => Promise.resolve([]),
  purge: () => Promise.resolve(0),
  count: () => Promise.resolve(0),
};

const MESSAGE_NOT_FOUND = 10037;
const NO_MESSAGE_FOUND = 10057;
const DELETE_FAILED = 10043;

export interface DeadLetterStoreOptions {
  /**
   * The server's largest message (its `max_payload`): a record is cut to fit in it, and a
   * reading holds as many records at once as fit in 8 MiB were each that large.
   */
  maxPayload?: () => number;
  /**
   * What `keep` publishes through. A flood of invalid events is dead-lettered through it:
   * a JetStream request per record (its timer, promises and error object, and a socket write
   * of its own) was 40% of the daemon's work per dead letter.
   */
  publisher?: StoredPublisher;
}

/** NATS's default `max_payload`. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

export function createDeadLetterStore(
  js: JetStreamClient,
  jsm: JetStreamManager,
  options: DeadLetterStoreOptions = {},
): DeadLetterStore {
  const maxPayload = options.maxPayload ?? (() => DEFAULT_MAX_PAYLOAD);
  const { publisher } = options;
  /** The record's subject, and its text cut to fit in one message. */
  const fitted = (record: DeadLetterRecord) => ({
    subject: deadLetterSubject(record.integration),
    text: fitDeadLetter(record, maxPayload()).text,
  });
  const add = async (record: DeadLetterRecord, msgID: string | undefined) => {
    const { subject, text } = fitted(record);
    try {
      return (await js.publish(subject, text, { msgID })).seq;
    } catch (err) {
      throw noStreamOr(err, subject);
    }
  };
  const read = (filter: { integration?: string } = {}) =>
    readRecords(js, jsm, { integration: filter.integration, maxPayload: maxPayload() });
  async function* readIds(ids: number[]): AsyncGenerator<ListedDeadLetter> {
    // Read together, as many as one fetch of the listing holds.
    for (const batch of chunks(unique(ids), fetchBatch(maxPayload()))) {
      const records = await Promise.all(batch.map((id) => getRecord(jsm, id)));
      for (const record of records) if (record) yield record;
    }
  }
  return {
    add: (record, addOptions = {}) => add(record, addOptions.msgId ?? deadLetterMsgId(record)),
    async keep(record, keepOptions = {}) {
      const msgID = keepOptions.msgId ?? deadLetterMsgId(record);
      if (publisher === undefined || msgID === undefined) {
        await add(record, msgID);
        return;
      }
      const { subject, text } = fitted(record);
      // A missing stream comes back as NoStreamError, as from `add`.
      await publisher.publish(subject, text, msgID);
    },
    read,
    readIds,
    async holdsDeliveries(filter = {}) {
      const subjects_filter =
        filter.integration === undefined
          ? `${DEAD_LETTER_SUBJECT_PREFIX}.>`
          : deadLetterSubject(filter.integration);
      const { state } = await jsm.streams.info(DEAD_LETTER_STREAM, { subjects_filter });
      const wholeEvents = deadLetterSubject(null);
      return Object.entries(state.subjects ?? {}).some(([s, n]) => s !== wholeEvents && n > 0);
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
 * One dead-lettering per delivery and point in its history: its webhook-id, its replays and
 * its attempts so far. A delivery attempted again because its message came back (a NATS
 * restart that lost an acknowledgement, a crash between storing the record and acking its
 * source) is dead-lettered again with the same id, and JetStream keeps the first record
 * (within the stream's duplicate window, 2 minutes). The attempt's time is not part of it,
 * as it differs between such attempts. A replay adds one to `replays`, so a replayed
 * delivery's dead-lettering is always stored.
 */
export function deadLetterMsgId(record: DeadLetterRecord): string | undefined {
  if (record.webhookId === null) return undefined;
  return `dlq:${record.webhookId}:r${record.replays ?? 0}:${record.attempts.length}`;
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
