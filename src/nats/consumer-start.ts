/**
 * Where a consumer hookswitch creates starts on the event stream: at the first start (per
 * `--deliver`), when set up again after it was lost (where it stood), and when created
 * again for a new filter (after its last acknowledged event). Pure: data in, config out.
 */
import {
  DeliverPolicy,
  RetentionPolicy,
  type ConsumerInfo,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { DurableConsumerConfig } from "./durable-consumers.js";
import type { EnsuredStream } from "./event-stream.js";
import type { JetStreamNames } from "./settings.js";
import type { ResumePoint, SetupFrom } from "./setup.js";

/** Allowance for the clocks of NATS and of this machine differing. */
const CLOCK_MARGIN_MS = 30_000;

/** Where a consumer created now starts on this stream. */
export function startOf(
  stream: EnsuredStream,
  deliver: JetStreamNames["deliver"],
  from: SetupFrom,
): Partial<DurableConsumerConfig> {
  // A work queue holds only events not yet acknowledged, and NATS allows no other start.
  if (stream.info.config.retention === RetentionPolicy.Workqueue) {
    return { deliver_policy: DeliverPolicy.All };
  }
  return from.resume
    ? resumeFrom(stream.info, stream.created, from.resume)
    : firstStart(deliver, stream.created, from.missingSince);
}

/**
 * Where the event consumer starts when created again for a new filter: at the first event
 * not acknowledged (those acknowledged beyond it come again: at least once).
 */
export function refilterStart(
  stream: StreamInfo,
  existing: ConsumerInfo,
): Partial<DurableConsumerConfig> {
  if (stream.config.retention === RetentionPolicy.Workqueue) {
    return { deliver_policy: DeliverPolicy.All };
  }
  return {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: firstUnacknowledged(existing),
  };
}

/**
 * The stream sequence of a consumer's first event not acknowledged: the one after its ack
 * floor, or, with nothing waiting for an acknowledgement, after the last event it was given.
 * nats-server 2.9 reports an ack floor of 0 for a consumer created at the end of a stream
 * (`--deliver new`) until it acknowledges something: starting after the floor would send
 * the stream's whole history again.
 */
export function firstUnacknowledged(info: {
  ack_floor: { stream_seq: number };
  delivered: { stream_seq: number };
  num_ack_pending: number;
}): number {
  const floor = info.ack_floor.stream_seq;
  return (info.num_ack_pending === 0 ? Math.max(floor, info.delivered.stream_seq) : floor) + 1;
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
