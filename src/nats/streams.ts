/**
 * The JetStream streams and durable consumers hookswitch reads and writes, ensured
 * idempotently at start. Every function takes its config as parameters so it can be tuned.
 *
 * Decisions:
 * - The event stream, when hookswitch may create it, is created with file storage. If it
 *   already exists, only subjects missing from it are added; limits, retention and
 *   replicas stay as an operator set them. With `create: false` it is only checked.
 * - HOOKSWITCH_DELIVERIES uses work-queue retention: a pending delivery is a job that one
 *   shared durable consumer takes; its ack removes it, so the stream holds exactly the
 *   deliveries still to do. Its duplicate window lets `Nats-Msg-Id` drop republishes.
 * - Deliveries parked because their integration had no room are kept in the same stream
 *   under `hookswitch.parked.<consumer>.<integration>`, each integration's read by a durable
 *   consumer of its own (work queues need filters that do not overlap, and these do not
 *   overlap the delivery consumer's). An existing stream gets the subject added.
 * - HOOKSWITCH_DLQ uses limits retention with no limits: nothing leaves it but
 *   `dlq replay` or `dlq purge`.
 * - Consumers are ensured as info → add when missing, else update of the changeable
 *   fields: `add` with a different config silently updates on 2.9 servers and fails on 2.10+.
 */
import { nanos } from "@nats-io/transport-node";
import { subjectCovers, subjectFilter } from "./subjects.js";
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerUpdateConfig,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { NatsSetupError, StreamMissingError, coerceError } from "../errors.js";
import {
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT_PREFIX,
  DELIVERY_STREAM,
  DELIVERY_SUBJECT_PREFIX,
  PARKED_SUBJECT_PREFIX,
  deliveryFilter,
  parkedSubject,
} from "../delivery/records.js";
import type { DeliverFrom } from "./settings.js";

export interface EventStreamConfig {
  name: string;
  subjects: string[];
  /** False: the stream must already exist; it is used as it is. */
  create: boolean;
  /** Replicas of a stream created here (default 1). */
  replicas?: number;
}

export interface EnsuredStream {
  info: StreamInfo;
  created: boolean;
  /** Subjects that were added to an existing stream. */
  addedSubjects: string[];
}

export async function ensureEventStream(
  jsm: JetStreamManager,
  config: EventStreamConfig,
): Promise<EnsuredStream> {
  const existing = await streamInfoOrNull(jsm, config.name);
  if (existing === null) {
    if (!config.create) {
      throw new StreamMissingError(config.name, config.subjects);
    }
    const info = await setup(`create stream ${config.name}`, () =>
      jsm.streams.add({
        name: config.name,
        subjects: config.subjects,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        num_replicas: config.replicas ?? 1,
      }),
    );
    return { info, created: true, addedSubjects: [] };
  }
  if (!config.create) return { info: existing, created: false, addedSubjects: [] };
  const { info, added } = await addMissingSubjects(jsm, existing, config.subjects);
  return { info, created: false, addedSubjects: added };
}

/** Adds to an existing stream the subjects it lacks, keeping the rest of its config. */
async function addMissingSubjects(
  jsm: JetStreamManager,
  existing: StreamInfo,
  wanted: string[],
): Promise<{ info: StreamInfo; added: string[] }> {
  const has = existing.config.subjects ?? [];
  // `pbx.acme.>` is already carried by a stream on `pbx.>` (NATS refuses it as an overlap).
  const missing = wanted.filter((s) => !has.some((h) => subjectCovers(h, s)));
  if (missing.length === 0) return { info: existing, added: [] };
  const { name } = existing.config;
  const info = await setup(`add subjects ${missing.join(", ")} to stream ${name}`, () =>
    jsm.streams.update(name, { ...existing.config, subjects: [...has, ...missing] }),
  );
  return { info, added: missing };
}

/** A duplicate window long enough for a crashed publisher to republish after restart. */
export const DELIVERY_DUPLICATE_WINDOW_MS = 2 * 60_000;

/** `replicas` applies when a stream is created (R3 on a 3-node NATS cluster). */
export async function ensureHookswitchStreams(
  jsm: JetStreamManager,
  { replicas = 1 }: { replicas?: number } = {},
): Promise<void> {
  await ensureOwnedStream(jsm, {
    name: DELIVERY_STREAM,
    num_replicas: replicas,
    subjects: [`${DELIVERY_SUBJECT_PREFIX}.>`, `${PARKED_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    duplicate_window: nanos(DELIVERY_DUPLICATE_WINDOW_MS),
  });
  await ensureOwnedStream(jsm, {
    name: DEAD_LETTER_STREAM,
    num_replicas: replicas,
    subjects: [`${DEAD_LETTER_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
  });
}

type OwnedStreamConfig = Parameters<JetStreamManager["streams"]["add"]>[0];

/**
 * Streams hookswitch owns are created as given; an existing one keeps its retention and
 * settings, and gets the subjects of a newer version added.
 */
async function ensureOwnedStream(jsm: JetStreamManager, config: OwnedStreamConfig): Promise<void> {
  const existing = await streamInfoOrNull(jsm, config.name);
  if (existing === null) {
    await setup(`create stream ${config.name}`, () => jsm.streams.add(config));
    return;
  }
  if (existing.config.retention !== config.retention) {
    throw new NatsSetupError(
      `stream ${config.name} exists with ${existing.config.retention} retention, but hookswitch ` +
        `needs ${config.retention}: delete it (after draining) or point hookswitch at another NATS account`,
    );
  }
  await addMissingSubjects(jsm, existing, config.subjects ?? []);
}

async function streamInfoOrNull(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isApiError(err, JetStreamApiCodes.StreamNotFound)) return null;
    throw new NatsSetupError(`cannot read stream ${name}: ${coerceError(err).message}`, {
      cause: err,
    });
  }
}

/** A durable consumer's config: anything the server accepts, and a name. */
export type DurableConsumerConfig = Partial<ConsumerConfig> & { durable_name: string };

export interface EventConsumerSettings {
  durable: string;
  deliver: DeliverFrom;
  /** Our subjects; a filter is set only when the stream carries more than these. */
  subjects: string[];
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
}

export const EVENT_CONSUMER_DEFAULTS = {
  ackWaitMs: 30_000,
  maxDeliver: 20,
  maxAckPending: 1_024,
} as const;

/** The durable pull consumer all replicas share on the event stream. */
export function eventConsumerConfig(
  stream: StreamInfo,
  settings: EventConsumerSettings,
): DurableConsumerConfig {
  return {
    durable_name: settings.durable,
    description: "hookswitch: PBX events to dispatch",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: settings.deliver === "all" ? DeliverPolicy.All : DeliverPolicy.New,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
    max_ack_pending: settings.maxAckPending,
    ...subjectFilter(stream.config.subjects ?? [], settings.subjects),
  };
}

export interface DeliveryConsumerSettings {
  /** The event consumer's name; the delivery consumer is `${consumer}-deliveries`. */
  consumer: string;
  ackWaitMs: number;
  /** -1: a pending delivery is never dropped by NATS; attempts are counted in the record. */
  maxDeliver: number;
  maxAckPending: number;
}

export const DELIVERY_CONSUMER_DEFAULTS = {
  ackWaitMs: 90_000,
  maxDeliver: -1,
  // Retries waiting out a delayed nak still count as pending: leave room for a long outage.
  maxAckPending: 50_000,
} as const;

export const deliveryConsumerName = (consumer: string) => `${consumer}-deliveries`;

export function deliveryConsumerConfig(settings: DeliveryConsumerSettings): DurableConsumerConfig {
  return {
    durable_name: deliveryConsumerName(settings.consumer),
    description: "hookswitch: deliveries waiting for their next attempt",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: deliveryFilter(settings.consumer),
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
    max_ack_pending: settings.maxAckPending,
  };
}

/**
 * One integration's parked deliveries. `_` cannot occur in an integration's name, so the
 * name is unique per deployment and integration. A consumer left unused for an hour is
 * removed by the server; its records stay in the stream and the next reader re-creates it.
 */
export const parkedConsumerName = (consumer: string, integration: string) =>
  `${consumer}_${integration}`;

export const PARKED_CONSUMER_IDLE_MS = 60 * 60_000;

export function parkedConsumerConfig(settings: {
  consumer: string;
  integration: string;
  ackWaitMs: number;
}): DurableConsumerConfig {
  return {
    durable_name: parkedConsumerName(settings.consumer, settings.integration),
    description: "hookswitch: deliveries waiting for room at their integration",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: parkedSubject(settings.consumer, settings.integration),
    ack_wait: nanos(settings.ackWaitMs),
    // As on the delivery consumer: attempts are counted in the record, never by NATS.
    max_deliver: -1,
    inactive_threshold: nanos(PARKED_CONSUMER_IDLE_MS),
  };
}

/** Fields a server lets an existing consumer change. `deliver_policy` is not one of them. */
const UPDATABLE_FIELDS = [
  "description",
  "ack_wait",
  "max_deliver",
  "max_ack_pending",
  "filter_subject",
  "filter_subjects",
] as const satisfies readonly (keyof ConsumerUpdateConfig)[];

export async function ensurePullConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: DurableConsumerConfig,
): Promise<ConsumerInfo> {
  const name = config.durable_name;
  const existing = await consumerInfoOrNull(jsm, stream, name);
  if (existing === null) {
    return setup(`create consumer ${name} on ${stream}`, () => jsm.consumers.add(stream, config));
  }
  if (existing.config.deliver_subject !== undefined) {
    throw new NatsSetupError(
      `consumer ${name} on ${stream} is a push consumer; hookswitch needs a pull consumer: ` +
        `delete it or choose another --consumer`,
    );
  }
  const changes = changedFields(existing.config, config);
  if (dropsFilter(existing.config, config)) {
    // No filter wanted (our subjects now cover the stream): the old one must go, or the
    // events beyond it are never consumed. The client merges an update into the old
    // config: a filter set to undefined is left out of what it sends.
    return setup(`update consumer ${name} on ${stream}`, () =>
      jsm.consumers.update(stream, name, { ...changes, filter_subject: undefined }),
    );
  }
  if (Object.keys(changes).length === 0) return existing;
  return setup(`update consumer ${name} on ${stream}`, () =>
    jsm.consumers.update(stream, name, changes),
  );
}

function dropsFilter(current: ConsumerConfig, wanted: Partial<ConsumerConfig>): boolean {
  const noneWanted = wanted.filter_subject === undefined && wanted.filter_subjects === undefined;
  return noneWanted && Boolean(current.filter_subject);
}

function changedFields(
  current: ConsumerConfig,
  wanted: Partial<ConsumerConfig>,
): Partial<ConsumerUpdateConfig> {
  const changes: Record<string, unknown> = {};
  for (const field of UPDATABLE_FIELDS) {
    const want = wanted[field];
    if (want !== undefined && JSON.stringify(want) !== JSON.stringify(current[field])) {
      changes[field] = want;
    }
  }
  return changes;
}

async function consumerInfoOrNull(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<ConsumerInfo | null> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (err) {
    if (isApiError(err, JetStreamApiCodes.ConsumerNotFound)) return null;
    throw new NatsSetupError(
      `cannot read consumer ${name} on ${stream}: ${coerceError(err).message}`,
      {
        cause: err,
      },
    );
  }
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

async function setup<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw new NatsSetupError(`cannot ${what}: ${coerceError(err).message}`, { cause: err });
  }
}
