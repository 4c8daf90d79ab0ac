/**
 * The dead-letter queue: one JSON record per message in HOOKSWITCH_DLQ, on the subject
 * of its deployment (`--consumer`) and integration. A record's id is its stream sequence.
 * A store works on its deployment's records and on those of the old layout, which belong to
 * no deployment; another deployment's are not its to read or count. Nothing removes records
 * but `remove` and `purge`, which only `dlq replay` and `dlq purge` call.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { NoRespondersError } from "@nats-io/transport-node";
import { errorChain, NoStreamError } from "../errors.js";
import type { StoredPublisher } from "../nats/stored-publish.js";
import {
  chunks,
  deleteRecord,
  getRecord,
  unique,
  type StoredDeadLetter,
} from "./dead-letter-ids.js";
import { fetchBatch, readRecords } from "./dead-letter-list.js";
import { keepsSubjectIndex } from "../nats/server-version.js";
import { fitDeadLetter } from "./dead-letter-size.js";
import { type DeadLetterRecord, type ListedDeadLetter } from "./records.js";
import {
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT_PREFIX,
  deadLetterFilter,
  deadLetterSubject,
  OLD_DEAD_LETTER_FILTER,
  oldDeadLetterSubject,
} from "../nats/layout.js";

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
  /**
   * The records with these ids, a few read at once; ids that do not exist, and those of
   * another deployment, are left out.
   */
  readIds(ids: number[]): AsyncIterable<ListedDeadLetter>;
  /**
   * The ids among these that are another deployment's, with its `--consumer` name, read
   * before anything is done with them; ids that do not exist are left out.
   */
  othersOf(ids: number[]): Promise<Map<number, string>>;
  /** Whether records of integrations' deliveries (not of whole events) are there. */
  holdsDeliveries(filter?: { integration?: string }): Promise<boolean>;
  /** Removes these records; resolves with the ids that were there and are now gone. */
  remove(ids: number[]): Promise<number[]>;
  /**
   * Removes the records of one integration, or all of them, with ids below `before` when
   * given (those stored after a person was shown what a purge removes stay); resolves with
   * how many.
   */
  purge(scope: PurgeScope): Promise<number>;
  /** How many records there are (the deployment's and the old layout's), or one integration's. */
  count(filter?: { integration?: string }): Promise<number>;
  /** The id the next record stored will have, or a greater one. */
  nextId(): Promise<number>;
}

export interface PurgeScope {
  integration?: string;
  all?: boolean;
  before?: number;
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
  othersOf: () => Promise.resolve(new Map()),
  holdsDeliveries: () => Promise.resolve(false),
  remove: () => Promise.resolve([]),
  purge: () => Promise.resolve(0),
  count: () => Promise.resolve(0),
  nextId: () => Promise.resolve(1),
};

export interface DeadLetterStoreOptions {
  /** The deployment's `--consumer` name, which namespaces its records. */
  consumer: string;
  /**
   * The server's largest message (its `max_payload`): a record is cut to fit in it, and a
   * reading holds as many records at once as fit in 8 MiB were each that large.
   */
  maxPayload?: () => number;
  /**
   * nats-server's version (from its INFO). Before 2.10.27 a listing reads the whole stream and
   * a purge removes records one by one, as its subject index can be wrong (server-version.ts).
   */
  serverVersion?: string | undefined;
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
  options: DeadLetterStoreOptions,
): DeadLetterStore {
  return new DeploymentDeadLetters(js, jsm, options);
}

/** The records in HOOKSWITCH_DLQ of one deployment, and those of the old layout. */
class DeploymentDeadLetters implements DeadLetterStore {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #maxPayload: () => number;
  readonly #publisher: StoredPublisher | undefined;
  readonly #consumer: string;
  readonly #wholeStream: boolean;

  constructor(js: JetStreamClient, jsm: JetStreamManager, options: DeadLetterStoreOptions) {
    this.#js = js;
    this.#jsm = jsm;
    this.#maxPayload = options.maxPayload ?? (() => DEFAULT_MAX_PAYLOAD);
    this.#publisher = options.publisher;
    this.#consumer = options.consumer;
    this.#wholeStream = !keepsSubjectIndex(options.serverVersion);
  }

  add(record: DeadLetterRecord, options: { msgId?: string } = {}): Promise<number> {
    return this.#addWithId(record, this.#msgIdOf(record, options.msgId));
  }

  async keep(record: DeadLetterRecord, options: { msgId?: string } = {}): Promise<void> {
    const msgID = this.#msgIdOf(record, options.msgId);
    if (this.#publisher === undefined || msgID === undefined) {
      await this.#addWithId(record, msgID);
      return;
    }
    const { subject, text } = this.#fitted(record);
    // A missing stream comes back as NoStreamError, as from `add`.
    await this.#publisher.publish(subject, text, msgID);
  }

  read(filter: { integration?: string } = {}): AsyncIterable<ListedDeadLetter> {
    return readRecords(this.#js, this.#jsm, {
      subjects: this.#filters(filter.integration),
      maxPayload: this.#maxPayload(),
      wholeStream: this.#wholeStream,
    });
  }

  async *readIds(ids: number[]): AsyncGenerator<ListedDeadLetter> {
    for await (const { record, owner } of this.#stored(ids)) {
      if (owner === null || owner === this.#consumer) yield record;
    }
  }

  async othersOf(ids: number[]): Promise<Map<number, string>> {
    const others = new Map<number, string>();
    for await (const { record, owner } of this.#stored(ids)) {
      if (owner !== null && owner !== this.#consumer) others.set(record.id, owner);
    }
    return others;
  }

  async holdsDeliveries(filter: { integration?: string } = {}): Promise<boolean> {
    const wholeEvents = [deadLetterSubject(this.#consumer, null), oldDeadLetterSubject(null)];
    const deliveries = await this.#countUnder(this.#filters(filter.integration), (subject) =>
      wholeEvents.includes(subject),
    );
    return deliveries > 0;
  }

  async remove(ids: number[]): Promise<number[]> {
    const removed: number[] = [];
    for (const id of unique(ids)) {
      if (await deleteRecord(this.#jsm, id)) removed.push(id);
    }
    return removed;
  }

  async purge(scope: PurgeScope): Promise<number> {
    // Never the whole stream: other deployments' records are there too.
    if (!scope.all && scope.integration === undefined) {
      throw new Error("purge needs an integration or all");
    }
    if (this.#wholeStream) return this.#purgeOneByOne(scope);
    const bound = scope.before === undefined ? {} : { seq: scope.before };
    let purged = 0;
    for (const filter of this.#filters(scope.all ? undefined : scope.integration)) {
      purged += (await this.#jsm.streams.purge(DEAD_LETTER_STREAM, { filter, ...bound })).purged;
    }
    return purged;
  }

  /**
   * A purge where a purge by subject would pass records by: every record of the scope read
   * from the whole stream, and removed by id.
   */
  async #purgeOneByOne(scope: PurgeScope): Promise<number> {
    const before = scope.before ?? Infinity;
    let purged = 0;
    for await (const { id } of this.read(scope.all ? {} : { integration: scope.integration })) {
      if (id < before && (await deleteRecord(this.#jsm, id))) purged++;
    }
    return purged;
  }

  count(filter: { integration?: string } = {}): Promise<number> {
    return this.#countUnder(this.#filters(filter.integration));
  }

  async nextId(): Promise<number> {
    const { state } = await this.#jsm.streams.info(DEAD_LETTER_STREAM);
    return state.last_seq + 1;
  }

  /** Stores a record by a JetStream request of its own, which answers with its id. */
  async #addWithId(record: DeadLetterRecord, msgID: string | undefined): Promise<number> {
    const { subject, text } = this.#fitted(record);
    try {
      return (await this.#js.publish(subject, text, { msgID })).seq;
    } catch (err) {
      throw noStreamOr(err, subject);
    }
  }

  /** The deployment's subject filter and the old layout's, for one integration or all. */
  #filters(integration?: string): string[] {
    return integration === undefined
      ? [deadLetterFilter(this.#consumer), OLD_DEAD_LETTER_FILTER]
      : [deadLetterSubject(this.#consumer, integration), oldDeadLetterSubject(integration)];
  }

  /** The record's subject, and its text cut to fit in one message. */
  #fitted(record: DeadLetterRecord): { subject: string; text: string } {
    return {
      subject: deadLetterSubject(this.#consumer, record.integration),
      text: fitDeadLetter(record, this.#maxPayload()).text,
    };
  }

  /**
   * Message ids are stream-wide: named with the deployment, so that two deployments that
   * dead-letter the same delivery or invalid event each keep their record.
   */
  #msgIdOf(record: DeadLetterRecord, given: string | undefined): string | undefined {
    const id = given ?? deadLetterMsgId(record);
    return id === undefined ? undefined : `${this.#consumer}:${id}`;
  }

  /** The records with these ids and whose they are, read together a fetch's worth at a time. */
  async *#stored(ids: number[]): AsyncGenerator<StoredDeadLetter> {
    for (const batch of chunks(unique(ids), fetchBatch(this.#maxPayload()))) {
      const records = await Promise.all(batch.map((id) => getRecord(this.#jsm, id)));
      for (const record of records) if (record) yield record;
    }
  }

  /** The records under these filters, counted from the stream's subjects. */
  async #countUnder(
    subjectFilters: string[],
    leaveOut?: (subject: string) => boolean,
  ): Promise<number> {
    let total = 0;
    for (const subjects_filter of subjectFilters) {
      const { state } = await this.#jsm.streams.info(DEAD_LETTER_STREAM, { subjects_filter });
      for (const [subject, n] of Object.entries(state.subjects ?? {})) {
        if (!leaveOut?.(subject)) total += n;
      }
    }
    return total;
  }
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
function deadLetterMsgId(record: DeadLetterRecord): string | undefined {
  if (record.webhookId === null) return undefined;
  return `dlq:${record.webhookId}:r${record.replays ?? 0}:${record.attempts.length}`;
}
