/**
 * Everything hookswitch needs on JetStream before it consumes: the event stream (created
 * or checked), its own delivery and dead-letter streams, and the two durable consumers.
 * Run at start, and again whenever a stream or consumer went missing under a running
 * daemon (recovery.ts).
 */
import {
  DeliverPolicy,
  RetentionPolicy,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { Logger } from "pino";
import { DELIVERY_STREAM } from "./layout.js";
import type { JetStreamNames } from "./settings.js";
import {
  DELIVERY_CONSUMER_DEFAULTS,
  EVENT_CONSUMER_DEFAULTS,
  deliveryConsumerConfig,
  ensurePullConsumer,
  eventConsumerConfig,
  type DurableConsumerConfig,
} from "./durable-consumers.js";
import {
  bookmarkName,
  dropBookmark,
  isStale,
  readBookmark,
  writeBookmark,
  type Bookmark,
  type ConsumerStart,
} from "./consumer-bookmark.js";
import { firstUnacknowledged, refilterStart, startOf } from "./consumer-start.js";
import { ensureEventStream, type EnsuredStream } from "./event-stream.js";
import { eventStreamRisks } from "./event-stream-risks.js";
import { ensureHookswitchStreams } from "./streams.js";
import { millis } from "@nats-io/transport-node";
import { formatDuration } from "../config/durations.js";

/**
 * Where a re-created event consumer starts: the first event not yet acknowledged, as last
 * read from the server. Only meaningful on the stream it was read from (`streamCreated`).
 */
export interface ResumePoint {
  /** The event stream's creation time: another value means the stream was re-created. */
  streamCreated: string;
  /** The event consumer's ack floor plus one: every earlier event was acknowledged. */
  nextSeq: number;
  /** When the ack floor was read (ms since the epoch, this machine's clock). */
  readAt: number;
  /** The event consumer's config as this set-up applied it (consumer-guard.ts keeps it). */
  consumerConfig?: DurableConsumerConfig;
  /** The event stream is a work queue: no bookmark can stand beside its consumer. */
  workQueue?: boolean;
}

/**
 * Where the set-up tells what it found. It runs again whenever something went missing
 * (recovery.ts): each message is logged once per daemon, not at every run.
 */
export interface SetupLog {
  info(message: string, fields?: object): void;
  warn(message: string, fields?: object): void;
}

export function onceLog(log: Logger): SetupLog {
  const said = new Set<string>();
  const once =
    (level: "info" | "warn") =>
    (message: string, fields: object = {}) => {
      if (said.has(message)) return;
      said.add(message);
      log[level](fields, message);
    };
  return { info: once("info"), warn: once("warn") };
}

const quiet: SetupLog = { info: () => {}, warn: () => {} };

/**
 * Where an event consumer created now starts: `resume` when the set-up runs again after the
 * event consumer was lost (it starts where the lost one stood, not at `--deliver`: `new`
 * would skip the events that waited meanwhile); `missingSince` when the first set-up found
 * the event stream missing (under `--no-create-stream`) and waited for it. A bookmark
 * (consumer-bookmark.ts) comes before both: hookswitch deleted the consumer on purpose and
 * wrote where it was to start again.
 */
export interface SetupFrom {
  resume?: ResumePoint;
  missingSince?: number;
}

/** Ensures the streams and consumers; `from` is where an event consumer created now starts. */
export async function ensureJetStream(
  jsm: JetStreamManager,
  names: JetStreamNames,
  ackWaitMs: number,
  from: SetupFrom = {},
  log: SetupLog = quiet,
): Promise<ResumePoint> {
  const stream = await ensureEventStream(jsm, {
    name: names.stream,
    subjects: names.subjects,
    create: names.createStream,
    replicas: names.replicas,
    deliver: names.deliver,
    ...(names.streamMaxAgeMs === undefined ? {} : { maxAgeMs: names.streamMaxAgeMs }),
  });
  reportStream(stream, log);
  reportIgnoredMaxAge(stream, names.streamMaxAgeMs, log);
  await ensureHookswitchStreams(jsm, { replicas: names.replicas, log });
  const workQueue = stream.info.config.retention === RetentionPolicy.Workqueue;
  const bookmark = workQueue ? undefined : await readBookmark(jsm, names.stream, names.consumer);
  const consumerConfig = {
    ...eventConsumerConfig(stream.info, {
      durable: names.consumer,
      deliver: names.deliver,
      subjects: names.subjects,
      ...EVENT_CONSUMER_DEFAULTS,
      ackWaitMs,
    }),
    ...(bookmark?.start ?? startOf(stream, names.deliver, from)),
  };
  // At start, this replica's filter is applied. In a recovery, a consumer that exists was
  // made by another hookswitch: its filter stays (consumer-guard.ts puts this one's back,
  // in bounds), or two replicas with other --subjects would take turns re-creating it.
  const refilterFrom = from.resume
    ? undefined
    : (existing: ConsumerInfo) => {
        reportRefilter(stream.info, existing, log);
        return refilterStart(stream.info, existing);
      };
  let written: Bookmark | undefined;
  const keepStart = workQueue
    ? undefined
    : async (config: DurableConsumerConfig) => {
        written = await writeBookmark(jsm, names.stream, config);
      };
  let created = false;
  const consumer = await ensurePullConsumer(jsm, names.stream, consumerConfig, {
    refilterFrom,
    keepStart,
    creating: () => (created = true),
  });
  // Done with: the one written now, and the one found if the consumer was created from it
  // (in a recovery, the guard's own: no news) or if it is stale (consumer-bookmark.ts).
  if (written) await dropBookmark(jsm, names.stream, names.consumer, written.token);
  if (bookmark && (created || isStale(bookmark))) {
    await dropBookmark(jsm, names.stream, names.consumer, bookmark.token);
    if (created && !from.resume) reportBookmark(names, bookmark.start, log);
  }
  if (!from.resume) reportIgnoredDeliver(consumer, names, log);
  // A work queue holds only work still to do: a re-created delivery consumer reads it all.
  await ensurePullConsumer(jsm, DELIVERY_STREAM, deliveryConsumerWanted(names, ackWaitMs), {
    refilterFrom: () => ({ deliver_policy: DeliverPolicy.All }),
  });
  return {
    streamCreated: stream.info.created,
    nextSeq: firstUnacknowledged(consumer),
    readAt: Date.now(),
    consumerConfig,
    workQueue,
  };
}

/** The delivery consumer as the set-up creates it (delivery-consumer-guard.ts keeps it so). */
export function deliveryConsumerWanted(
  names: JetStreamNames,
  ackWaitMs: number,
): DurableConsumerConfig {
  return deliveryConsumerConfig({
    consumer: names.consumer,
    ...DELIVERY_CONSUMER_DEFAULTS,
    ackWaitMs,
    maxAckPending: names.maxWaitingRetries ?? DELIVERY_CONSUMER_DEFAULTS.maxAckPending,
  });
}

/** Subjects added to the event stream, and what its settings cost in events. */
function reportStream(stream: EnsuredStream, log: SetupLog): void {
  const { name } = stream.info.config;
  const { addedSubjects: added, replacedSubjects: replaced } = stream;
  if (added.length > 0) {
    const instead =
      replaced.length === 0
        ? ""
        : ` in place of ${replaced.join(", ")}, which they cover: the stream carries ` +
          `everything it carried before, and more`;
    log.info(`added subjects ${added.join(", ")} to stream ${name}${instead}`, {
      stream: name,
      added,
      replaced,
    });
  }
  // A stream created just now has what hookswitch gives it, no limits: said too.
  for (const { level, text } of eventStreamRisks(stream.info)) {
    log[level](`${text}; hookswitch leaves the stream as it is`, { stream: name });
  }
}

/** `--stream-max-age` given for a stream that existed with another: it has no effect. */
function reportIgnoredMaxAge(stream: EnsuredStream, maxAgeMs: number | undefined, log: SetupLog) {
  const { name, max_age } = stream.info.config;
  if (maxAgeMs === undefined || stream.created || millis(max_age) === maxAgeMs) return;
  const has = max_age > 0 ? `a max age of ${formatDuration(millis(max_age))}` : "no max age";
  log.warn(
    `stream ${name} exists with ${has}: --stream-max-age (HOOKSWITCH_STREAM_MAX_AGE) applies ` +
      `only to a stream hookswitch creates; change the stream itself to change its max age`,
    { stream: name },
  );
}

/**
 * Policies an operator chose that skip what a stream held: `--deliver all` cannot change
 * them. A start at a sequence or a time is hookswitch's own re-creation of a lost consumer
 * (recovery.ts), which resumed where it was: no re-read was asked for, so no warning.
 */
const SKIPPING_POLICIES: ReadonlySet<string> = new Set([
  DeliverPolicy.New,
  DeliverPolicy.Last,
  DeliverPolicy.LastPerSubject,
]);

/** `--deliver all` on a consumer that exists and started later: it has no effect. */
function reportIgnoredDeliver(consumer: ConsumerInfo, names: JetStreamNames, log: SetupLog) {
  const policy = consumer.config.deliver_policy;
  if (names.deliver !== "all" || !SKIPPING_POLICIES.has(policy)) return;
  log.warn(
    `consumer ${names.consumer} on stream ${names.stream} exists with deliver policy ` +
      `${policy}: --deliver applies only to a consumer hookswitch creates, so events it ` +
      `has passed are not read again. To re-read the stream, stop hookswitch, delete the ` +
      `consumer with the NATS tools and start again, or start with a new --consumer name`,
    { stream: names.stream, consumer: names.consumer, deliverPolicy: policy },
  );
}

/** A consumer found deleted to change its filter, created where it was meant to start: said. */
function reportBookmark(names: JetStreamNames, bookmark: ConsumerStart, log: SetupLog): void {
  const { stream, consumer } = names;
  const where = bookmark.opt_start_seq
    ? `stream sequence ${bookmark.opt_start_seq}`
    : `deliver policy ${bookmark.deliver_policy}`;
  log.warn(
    `consumer ${consumer} on stream ${stream} was deleted by a hookswitch to change its ` +
      `filter and not created again (that hookswitch stopped in between, or the creation ` +
      `failed): it starts at ${where}, where it was meant to (kept in ${bookmarkName(consumer)}, ` +
      `now removed)`,
    { stream, consumer, ...bookmark },
  );
}

/** A consumer whose filter is not the one --subjects asks for is created again: said. */
function reportRefilter(stream: StreamInfo, existing: ConsumerInfo, log: SetupLog): void {
  const { name, config } = existing;
  const nextSeq = firstUnacknowledged(existing);
  log.warn(
    `consumer ${name} on stream ${stream.config.name} filters ${filterText(config)}, not ` +
      `what --subjects asks for: creating it again with the new filter from stream sequence ` +
      `${nextSeq}, its first event not acknowledged (an event acknowledged after it may be ` +
      `sent again)`,
    { stream: stream.config.name, consumer: name, nextSeq },
  );
}

function filterText(config: ConsumerInfo["config"]): string {
  const filters = config.filter_subjects ?? (config.filter_subject ? [config.filter_subject] : []);
  return filters.length === 0 ? "no subject (all of the stream)" : filters.join(", ");
}
