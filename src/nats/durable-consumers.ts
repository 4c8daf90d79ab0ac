/**
 * The durable pull consumers hookswitch reads through: the configs of the event, delivery
 * and parked-delivery consumers, and ensurePullConsumer, which creates or updates one
 * idempotently at start. The streams they read are ensured in streams.ts; keeping the two
 * apart keeps each file to one kind of JetStream resource.
 *
 * Decisions:
 * - Consumers are ensured as info → add when missing, else update of the changeable
 *   fields: `add` with a different config silently updates on 2.9 servers and fails on 2.10+.
 *   A changed filter is the exception: the consumer is created again (see refilter).
 */
import { nanos } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { NatsSetupError, coerceError } from "../errors.js";
import { deliveryFilter, parkedSubject } from "./layout.js";
import type { DeliverFrom } from "./settings.js";
import { subjectFilter } from "./subjects.js";
import { NOT_SET, filterDiffers, updatableChanges } from "./consumer-changes.js";
import { isApiError, asSetupStep } from "./streams.js";
import { keepsSubjectIndex } from "./server-version.js";

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
    ...NOT_SET,
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
  // Retries waiting out a delayed nak count as pending, and the consumer hands out nothing
  // past this: not a retry or replay of any integration, due or not, until some come due.
  // NATS keeps about 250 bytes of memory for each (125 MB at this number).
  maxAckPending: 500_000,
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
    ...NOT_SET,
  };
}

/**
 * One integration's parked deliveries. `_` cannot occur in an integration's name, so the
 * name is unique per deployment and integration. A consumer left unused for an hour is
 * removed by the server; its records stay in the stream and the next reader re-creates it.
 * Not on a server that cannot keep its subject index (server-version.ts): there a consumer
 * created again can pass parked deliveries by, so it is kept however long it is unused.
 */
export const parkedConsumerName = (consumer: string, integration: string) =>
  `${consumer}_${integration}`;

export const PARKED_CONSUMER_IDLE_MS = 60 * 60_000;

export function parkedConsumerConfig(settings: {
  consumer: string;
  integration: string;
  ackWaitMs: number;
  /** The nats-server's version (its INFO): an old or unknown one keeps the consumer. */
  serverVersion: string | undefined;
}): DurableConsumerConfig {
  const idleMs = keepsSubjectIndex(settings.serverVersion) ? PARKED_CONSUMER_IDLE_MS : 0;
  return {
    durable_name: parkedConsumerName(settings.consumer, settings.integration),
    description: "hookswitch: deliveries waiting for room at their integration",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: parkedSubject(settings.consumer, settings.integration),
    ack_wait: nanos(settings.ackWaitMs),
    // As on the delivery consumer: attempts are counted in the record, never by NATS.
    max_deliver: -1,
    ...NOT_SET,
    inactive_threshold: nanos(idleMs),
  };
}

export interface EnsureOptions {
  /**
   * Where the consumer starts when it is created again to change its filter (its position
   * read from `existing`). Without it, an existing consumer keeps the filter it has.
   */
  refilterFrom?: (existing: ConsumerInfo) => Partial<DurableConsumerConfig>;
  /**
   * Keeps where the consumer is to start (`config`) before it is deleted to change its
   * filter, for a set-up that finds it missing (consumer-bookmark.ts): without it, a
   * process stopped between the deletion and the creation leaves that start nowhere.
   */
  keepStart?: (config: DurableConsumerConfig) => Promise<void>;
  /** Told when the consumer was missing and is created by this call. */
  creating?: () => void;
}

export async function ensurePullConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: DurableConsumerConfig,
  options: EnsureOptions = {},
): Promise<ConsumerInfo> {
  const name = config.durable_name;
  const existing = await consumerInfoOrNull(jsm, stream, name);
  if (existing === null) {
    options.creating?.();
    return asSetupStep(`create consumer ${name} on ${stream}`, () =>
      jsm.consumers.add(stream, config),
    );
  }
  if (existing.config.deliver_subject !== undefined) {
    throw new NatsSetupError(
      `consumer ${name} on ${stream} is a push consumer; hookswitch needs a pull consumer: ` +
        `delete it or choose another --consumer`,
    );
  }
  if (options.refilterFrom && filterDiffers(existing.config, config)) {
    const start = options.refilterFrom(existing);
    return refilter(jsm, stream, { ...startless(config), ...start }, options.keepStart);
  }
  const changes = updatableChanges(existing.config, config);
  if (Object.keys(changes).length === 0) return existing;
  return asSetupStep(`update consumer ${name} on ${stream}`, () =>
    jsm.consumers.update(stream, name, changes),
  );
}

/**
 * A filter is changed by creating the consumer again, never by an update: nats-server 2.9
 * takes a changed filter but goes on matching subjects the old filter's way, so a wildcard
 * filter set on a consumer that had none (or a literal one) matches nothing, and the
 * consumer passes every event by for good while it looks healthy.
 */
async function refilter(
  jsm: JetStreamManager,
  stream: string,
  config: DurableConsumerConfig,
  keepStart: EnsureOptions["keepStart"],
): Promise<ConsumerInfo> {
  const name = config.durable_name;
  await keepStart?.(config);
  await asSetupStep(`delete consumer ${name} on ${stream} to change its filter`, () =>
    jsm.consumers.delete(stream, name),
  );
  return asSetupStep(`create consumer ${name} on ${stream} with its new filter`, () =>
    jsm.consumers.add(stream, config),
  );
}

/** The config without where it starts: a re-created consumer starts where it stood. */
function startless(config: DurableConsumerConfig): DurableConsumerConfig {
  const rest = { ...config };
  delete rest.opt_start_seq;
  delete rest.opt_start_time;
  return rest;
}

/**
 * The consumer's info, or null where there is no such consumer. nats-server 2.9 answers a
 * request that races the consumer's deletion with neither the consumer nor an error: that
 * consumer is going, and counts as missing.
 */
export async function consumerInfoOrNull(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<ConsumerInfo | null> {
  try {
    const info = await jsm.consumers.info(stream, name);
    return isConsumerInfo(info) ? info : null;
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

/** Whether an info answer describes a consumer (see consumerInfoOrNull). */
export function isConsumerInfo(info: Partial<ConsumerInfo>): info is ConsumerInfo {
  return info.config !== undefined && info.ack_floor !== undefined;
}
