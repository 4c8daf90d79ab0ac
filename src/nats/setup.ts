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
import { DELIVERY_STREAM } from "../delivery/records.js";
import type { JetStreamNames } from "./settings.js";
import {
  DELIVERY_CONSUMER_DEFAULTS,
  EVENT_CONSUMER_DEFAULTS,
  deliveryConsumerConfig,
  ensurePullConsumer,
  eventConsumerConfig,
  type DurableConsumerConfig,
} from "./durable-consumers.js";
import { ensureEventStream, type EnsuredStream } from "./event-stream.js";
import { eventStreamRisks } from "./event-stream-risks.js";
import { ensureHookswitchStreams } from "./streams.js";

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

/** Allowance for the clocks of NATS and of this machine differing. */
const CLOCK_MARGIN_MS = 30_000;

/**
 * Ensures the streams and consumers. `from` is where a consumer created now starts:
 * `resume` when the set-up runs again after the event consumer was lost (it starts where
 * the lost one stood, not at `--deliver`: `new` would skip the events that waited
 * meanwhile); `missingSince` when the first set-up found the event stream missing (under
 * `--no-create-stream`) and waited for it.
 */
export async function ensureJetStream(
  jsm: JetStreamManager,
  names: JetStreamNames,
  ackWaitMs: number,
  from: { resume?: ResumePoint; missingSince?: number } = {},
  log: SetupLog = quiet,
): Promise<ResumePoint> {
  const stream = await ensureEventStream(jsm, {
    name: names.stream,
    subjects: names.subjects,
    create: names.createStream,
    replicas: names.replicas,
    deliver: names.deliver,
  });
  reportStream(stream, log);
  await ensureHookswitchStreams(jsm, { replicas: names.replicas, log });
  const consumerConfig = {
    ...eventConsumerConfig(stream.info, {
      durable: names.consumer,
      deliver: names.deliver,
      subjects: names.subjects,
      ...EVENT_CONSUMER_DEFAULTS,
      ackWaitMs,
    }),
    ...startOf(stream, names.deliver, from),
  };
  const consumer = await ensurePullConsumer(jsm, names.stream, consumerConfig);
  if (!from.resume) reportIgnoredDeliver(consumer, names, log);
  // A work queue holds only work still to do: a re-created delivery consumer reads it all.
  await ensurePullConsumer(
    jsm,
    DELIVERY_STREAM,
    deliveryConsumerConfig({ consumer: names.consumer, ...DELIVERY_CONSUMER_DEFAULTS, ackWaitMs }),
  );
  return {
    streamCreated: stream.info.created,
    nextSeq: consumer.ack_floor.stream_seq + 1,
    readAt: Date.now(),
    consumerConfig,
  };
}

/** Where a consumer created now starts on this stream. */
function startOf(
  stream: EnsuredStream,
  deliver: JetStreamNames["deliver"],
  from: { resume?: ResumePoint; missingSince?: number },
): Partial<DurableConsumerConfig> {
  // A work queue holds only events not yet acknowledged, and NATS allows no other start.
  if (stream.info.config.retention === RetentionPolicy.Workqueue) {
    return { deliver_policy: DeliverPolicy.All };
  }
  return from.resume
    ? resumeFrom(stream.info, stream.created, from.resume)
    : firstStart(deliver, stream.created, from.missingSince);
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

/**
 * `--deliver new` means the events published from the daemon's start on. A stream this
 * set-up has just created holds only those: all of it, including what was published
 * before the consumer existed. A stream that appeared while the daemon waited for it
 * holds them from when it was found missing (less the clocks' margin); an older event in
 * it (a stream restored from a backup) is not new.
 */
function firstStart(
  deliver: JetStreamNames["deliver"],
  createdNow: boolean,
  missingSince: number | undefined,
): Partial<DurableConsumerConfig> {
  if (deliver === "all") return {};
  if (createdNow) return { deliver_policy: DeliverPolicy.All };
  return missingSince === undefined ? {} : fromTime(missingSince);
}

/**
 * Acknowledged events past the resume point are delivered again (at least once); none
 * before it is skipped. A stream this set-up has just created (NATS restarted without its
 * storage) holds only events no consumer has seen: all of them. A stream someone else
 * re-created may hold events long delivered (restored from a backup, a mirror with
 * history) and takes events as soon as it exists: it is read from when the lost consumer
 * last stood there, less a margin for the clocks.
 */
function resumeFrom(
  stream: StreamInfo,
  createdNow: boolean,
  resume: ResumePoint,
): Partial<DurableConsumerConfig> {
  if (resume.streamCreated === stream.created) {
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: resume.nextSeq };
  }
  if (createdNow) return { deliver_policy: DeliverPolicy.All };
  return fromTime(resume.readAt);
}

/** From a moment on this machine's clock, less the margin for the server's. */
function fromTime(ms: number): Partial<DurableConsumerConfig> {
  return {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(ms - CLOCK_MARGIN_MS).toISOString(),
  };
}
