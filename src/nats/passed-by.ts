/**
 * Looks for retries and replays that the delivery consumer passes by: records of its
 * subjects that the stream holds and the consumer neither holds (handed out, not yet
 * acknowledged) nor will hand out. In a work queue each record is one or the other until it
 * is acknowledged, when the stream drops it. A nats-server older than 2.10.27 can lose track
 * of some once their consumer is created again (server-version.ts): they would then wait for
 * good, counted nowhere else.
 *
 * A look reads the consumer, the stream's count of the consumer's subjects, and the consumer
 * again: when the consumer moved in between, the look tells nothing. Records found passed by
 * at CONFIRMING_LOOKS looks in a row are said once, and shown until a look finds none.
 */
import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { consumerInfoOrNull, deliveryConsumerName } from "./durable-consumers.js";
import { DELIVERY_STREAM, deliveryFilter } from "./layout.js";
import { keepsSubjectIndex } from "./server-version.js";
import { periodic, type Periodic } from "../periodic.js";
import { retriesOf, waitingByIntegration } from "../delivery/waiting-counts.js";

/** What a look needs of the consumer: its counts, and where it stands. */
export interface ConsumerCounts {
  pending: number;
  ackPending: number;
  delivered: number;
  ackFloor: number;
}

export function consumerCounts(info: ConsumerInfo): ConsumerCounts {
  return {
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    delivered: info.delivered.stream_seq,
    ackFloor: info.ack_floor.stream_seq,
  };
}

/** Records the consumer passes by; undefined when it moved while the stream was counted. */
export function recordsPassedBy(
  before: ConsumerCounts,
  inStream: number,
  after: ConsumerCounts,
): number | undefined {
  const still =
    before.pending === after.pending &&
    before.ackPending === after.ackPending &&
    before.delivered === after.delivered &&
    before.ackFloor === after.ackFloor;
  if (!still) return undefined;
  // Fewer in the stream than the consumer counts: records removed by hand. None passed by.
  return Math.max(0, inStream - before.pending - before.ackPending);
}

export const CONFIRMING_LOOKS = 3;

/** The count shown, from the looks' findings in turn. */
export class PassedByCount {
  #inARow = 0;
  #shown = 0;

  get shown(): number {
    return this.#shown;
  }

  /** Takes a look's finding (undefined: it told nothing); says when to tell of a change. */
  look(passed: number | undefined): "found" | "cleared" | undefined {
    if (passed === undefined) return undefined;
    if (passed === 0) {
      this.#inARow = 0;
      const cleared = this.#shown > 0;
      this.#shown = 0;
      return cleared ? "cleared" : undefined;
    }
    this.#inARow++;
    if (this.#inARow < CONFIRMING_LOOKS) return undefined;
    const first = this.#shown === 0;
    this.#shown = passed;
    return first ? "found" : undefined;
  }
}

/** One look on NATS: the consumer, the stream's count of its subjects, the consumer again. */
export async function lookForPassedBy(
  jsm: JetStreamManager,
  consumer: string,
): Promise<number | undefined> {
  const name = deliveryConsumerName(consumer);
  // A consumer missing is being created again, by the recovery: the look tells nothing.
  const before = await consumerInfoOrNull(jsm, DELIVERY_STREAM, name);
  if (!before) return undefined;
  const stream = await jsm.streams.info(DELIVERY_STREAM, {
    subjects_filter: deliveryFilter(consumer),
  });
  const after = await consumerInfoOrNull(jsm, DELIVERY_STREAM, name);
  if (!after) return undefined;
  const inStream = retriesOf(waitingByIntegration(stream.state.subjects ?? {}));
  return recordsPassedBy(consumerCounts(before), inStream, consumerCounts(after));
}

export function watchRetriesPassedBy(options: {
  jsm: JetStreamManager;
  /** The deployment's event consumer: its delivery consumer is looked at. */
  consumer: string;
  /** The nats-server's version now: a reconnection may reach another. */
  serverVersion: () => string | undefined;
  /** True while looking cannot work: JetStream being set up again, or NATS away. */
  paused: () => boolean;
  /**
   * The retries and replays stored, as the last look for parked deliveries counted them
   * (undefined: not counted yet). With none, nothing can be passed by, and the stream's
   * count, as large as its subjects are many, is not read twice every 10 s.
   */
  retriesStored: () => number | undefined;
  /** The count to show, after each look. */
  shown: (count: number) => void;
  log: Logger;
  intervalMs: number;
}): Periodic {
  const count = new PassedByCount();
  const name = deliveryConsumerName(options.consumer);
  const look = async () => {
    if (options.paused()) return;
    // NATS down or the consumer being created again: the next look, or the recovery, sees.
    const passed =
      options.retriesStored() === 0
        ? 0
        : await lookForPassedBy(options.jsm, options.consumer).catch(() => undefined);
    const change = count.look(passed);
    options.shown(count.shown);
    if (change === "found") {
      options.log.error(
        { consumer: name, passedBy: count.shown },
        passedByMessage(name, count.shown, options.serverVersion()),
      );
    } else if (change === "cleared") {
      options.log.info({ consumer: name }, `consumer ${name} passes no retry by any more`);
    }
  };
  return periodic(look, options.intervalMs);
}

export function passedByMessage(name: string, count: number, version: string | undefined): string {
  const found =
    `${count} ${count === 1 ? "retry or replay waits" : "retries and replays wait"} in ` +
    `stream ${DELIVERY_STREAM} that consumer ${name} will not hand out; they stay stored`;
  if (keepsSubjectIndex(version)) {
    return `${found}. nats-server ${version} loses track of them; look at the consumer and the stream with the NATS tools`;
  }
  return (
    `${found}. nats-server ${version ?? "(version unknown)"} is older than 2.10.27 and lost ` +
    "track of them when the consumer was created again: upgrade nats-server to 2.10.27 or " +
    "later, which hands them over from the same store"
  );
}
