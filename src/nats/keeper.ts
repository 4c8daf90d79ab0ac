/**
 * What the daemon keeps on JetStream: the first set-up (tried until it works), and its
 * recovery when a stream or consumer goes missing later (recovery.ts). One object so the
 * daemon holds one handle and stops one.
 */
import {
  DeliverPolicy,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamManager,
} from "@nats-io/jetstream";
import pRetry from "p-retry";
import type { Logger } from "pino";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "./layout.js";
import { StreamMissingError } from "../errors.js";
import { settleDeletions } from "./deletion-settle.js";
import { guardConsumer, type ConsumerGuard } from "./consumer-guard.js";
import { writeBookmark } from "./consumer-bookmark.js";
import {
  createRecovery,
  isMissingResource,
  watchAckFloor,
  watchConsumerStatus,
  type AckFloorWatch,
  type ConsumerWatch,
  type Recovery,
} from "./recovery.js";
import type { JetStreamNames } from "./settings.js";
import {
  deliveryConsumerWanted,
  ensureJetStream,
  onceLog,
  type ResumePoint,
  type SetupFrom,
  type SetupLog,
} from "./setup.js";
import { guardDeliveryConsumer, type DeliveryGuard } from "./delivery-consumer-guard.js";
import { deliveryConsumerName } from "./durable-consumers.js";
import type { NatsLink } from "./connection.js";

/**
 * How often the consumers are read: the event consumer for its ack floor (a re-created
 * consumer starts there), the delivery consumer for its settings and how many wait.
 */
const CONSUMER_READ_INTERVAL_MS = 5_000;
/** After a recovery's set-up, how long the consumers get to pull again (their retry is ~3 s). */
const RESUME_WAIT_MS = 15_000;

export interface JetStreamKeeper {
  /** Ensures streams and consumers, then runs `consume`; retried until it works or stops. */
  start(consume: () => Promise<void>): Promise<void>;
  /** Watches a consume() iterator for a lost consumer or stream. */
  watch(messages: ConsumerMessages, where: { stream: string; consumer: string }): void;
  /** Why consuming is interrupted while the set-up runs again; undefined otherwise. */
  reason(): string | undefined;
  lost(what: string): void;
  /** Cancels the set-up retries and the recovery (shutdown). */
  stop(): void;
}

export function createJetStreamKeeper(options: {
  jsm: JetStreamManager;
  names: JetStreamNames;
  ackWaitMs: number;
  log: Logger;
  /** Each reading of the event consumer, every 5 s once set up (its backlog). */
  consumerRead?: (info: ConsumerInfo) => void;
  /** Each reading of the delivery consumer, every 5 s once set up (its waiting retries). */
  deliveryConsumerRead?: (info: ConsumerInfo) => void;
  /** The connection: a recovery that failed while it was down tries again once it is back. */
  link?: NatsLink;
}): JetStreamKeeper {
  return new Keeper(options);
}

type KeeperOptions = Parameters<typeof createJetStreamKeeper>[0];

/**
 * The set-up, its recovery, and the watches and guards that call on it. They refer to each
 * other, so each is built by a method of its own that reaches the others through the fields.
 */
class Keeper implements JetStreamKeeper {
  readonly #jsm: JetStreamManager;
  readonly #names: JetStreamNames;
  readonly #ackWaitMs: number;
  readonly #log: Logger;
  readonly #watches: ConsumerWatch[] = [];
  readonly #setupLog: SetupLog;
  readonly #abort = new AbortController();
  // While the guard deletes the consumer itself (to create it again).
  #deleting = false;
  readonly #guard: ConsumerGuard;
  readonly #deliveryGuard: DeliveryGuard;
  readonly #ackFloor: AckFloorWatch;
  readonly #recovery: Recovery;
  // Why the first set-up has not worked yet, for /readyz while it is tried again.
  #startFailure: string | undefined;
  // When the first set-up found the event stream missing (--no-create-stream): the
  // consumer created once it exists starts there, so no event published meanwhile is lost.
  #missingSince: number | undefined;

  constructor(options: KeeperOptions) {
    this.#jsm = options.jsm;
    this.#names = options.names;
    this.#ackWaitMs = options.ackWaitMs;
    this.#log = options.log;
    this.#setupLog = onceLog(options.log);
    this.#guard = this.#guardEventConsumer();
    this.#deliveryGuard = this.#guardDeliveryConsumer(options.deliveryConsumerRead);
    this.#ackFloor = this.#watchAckFloor(options);
    this.#recovery = this.#createRecovery(options.link);
  }

  readonly lost = (what: string): void => this.#recovery.lost(what, this.#deleting);

  readonly reason = (): string | undefined =>
    this.#recovery.reason() ??
    (this.#startFailure === undefined
      ? undefined
      : `JetStream set-up failed: ${this.#startFailure}`);

  async start(consume: () => Promise<void>): Promise<void> {
    // Tried until it works or the daemon stops: what fails here (a cluster that lost its
    // quorum, a stream of ours set up by hand the wrong way, an event stream that
    // operations have not created yet under --no-create-stream) is waited out not ready
    // rather than in a crash loop; a GitOps rollout often applies the stream and the
    // daemon together. A problem is logged at warn; the same one again in a row, at debug.
    await pRetry(() => this.#setUpAndConsume(consume), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 500,
      maxTimeout: 30_000,
      signal: this.#abort.signal,
      shouldRetry: () => !this.#abort.signal.aborted,
      onFailedAttempt: ({ error }) => this.#startFailed(error),
    });
  }

  watch(messages: ConsumerMessages, where: { stream: string; consumer: string }): void {
    const watch = watchConsumerStatus(messages, where, this.lost, this.#log);
    this.#watches.push(watch);
    // An iterator that ended (closed, or read again in a new one) is watched no more.
    void watch.ended.then(() => {
      const at = this.#watches.indexOf(watch);
      if (at !== -1) this.#watches.splice(at, 1);
    });
  }

  stop(): void {
    this.#abort.abort();
    this.#recovery.stop();
    this.#ackFloor.stop();
    this.#deliveryGuard.stop();
  }

  async #setUpAndConsume(consume: () => Promise<void>): Promise<void> {
    this.#ackFloor.set(await this.#ensure({ missingSince: this.#missingSince }));
    this.#startFailure = undefined;
    await consume();
  }

  #ensure(from: SetupFrom): Promise<ResumePoint> {
    return ensureJetStream(this.#jsm, this.#names, this.#ackWaitMs, from, this.#setupLog);
  }

  #startFailed(error: Error): void {
    if (this.#abort.signal.aborted) return;
    if (error instanceof StreamMissingError) this.#missingSince ??= Date.now();
    const level = error.message === this.#startFailure ? "debug" : "warn";
    this.#startFailure = error.message;
    this.#log[level](
      { problem: error.message },
      `JetStream set-up failed: ${error.message}; retrying`,
    );
  }

  readonly #recovering = () => this.#recovery.reason() !== undefined;

  #guardEventConsumer(): ConsumerGuard {
    return guardConsumer({
      jsm: this.#jsm,
      stream: this.#names.stream,
      log: this.#log,
      recovering: this.#recovering,
      recreate: (why) => this.#recreateEventConsumer(why),
    });
  }

  #guardDeliveryConsumer(read?: (info: ConsumerInfo) => void): DeliveryGuard {
    const wanted = deliveryConsumerWanted(this.#names, this.#ackWaitMs);
    return guardDeliveryConsumer({
      read,
      jsm: this.#jsm,
      wanted: () => (this.#ackFloor.point() ? wanted : undefined),
      log: this.#log,
      intervalMs: CONSUMER_READ_INTERVAL_MS,
      recovering: this.#recovering,
      recreate: (why) =>
        this.#recreate(DELIVERY_STREAM, deliveryConsumerName(this.#names.consumer), why),
    });
  }

  #watchAckFloor(options: KeeperOptions): AckFloorWatch {
    return watchAckFloor({
      jsm: this.#jsm,
      stream: this.#names.stream,
      consumer: this.#names.consumer,
      intervalMs: CONSUMER_READ_INTERVAL_MS,
      lost: this.lost,
      read: (info) => {
        options.consumerRead?.(info);
        // An operator's edit of the consumer is put back (consumer-guard.ts).
        void this.#guard.check(info, this.#ackFloor.point()?.consumerConfig);
      },
    });
  }

  #createRecovery(link: NatsLink | undefined): Recovery {
    return createRecovery({
      ...(link ? { link } : {}),
      setup: async () => this.#ackFloor.set(await this.#ensure({ resume: this.#ackFloor.point() })),
      settle: (pause, stopped) =>
        settleDeletions(this.#jsm, [this.#names.stream, DELIVERY_STREAM, DEAD_LETTER_STREAM], {
          pause,
          stopped,
        }),
      resumed: async () => {
        await Promise.all(this.#watches.map((watch) => watch.nextPull(RESUME_WAIT_MS)));
      },
      log: this.#log,
    });
  }

  async #recreateEventConsumer(why: string): Promise<void> {
    const before = this.#holdResumePoint();
    // Where the recovery creates it, kept on NATS: a stop before it does loses no event.
    if (before?.consumerConfig && !before.workQueue) {
      await writeBookmark(this.#jsm, this.#names.stream, {
        ...before.consumerConfig,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: before.nextSeq,
        opt_start_time: undefined,
      });
    }
    await this.#recreate(this.#names.stream, this.#names.consumer, why);
  }

  /**
   * The reading that found the change must not move the resume point past it: a copy of
   * the point is a new reading to the ack-floor watch, which then keeps it. The bookmark
   * alone is not enough: when its write or the deletion fails, the next reading tries again
   * and must still find the point from before the change, not one past the events the
   * changed filter passed by.
   */
  #holdResumePoint(): ResumePoint | undefined {
    const before = this.#ackFloor.point();
    if (before) this.#ackFloor.set({ ...before });
    return before;
  }

  /**
   * Deletes one of our consumers and has the recovery create it again. Deleted first: a
   * deletion that fails starts no recovery (the next reading tries again). Its notice to
   * the consumers, meanwhile, is no news.
   */
  async #recreate(stream: string, consumer: string, why: string): Promise<void> {
    this.#deleting = true;
    try {
      await deleteConsumer(this.#jsm, stream, consumer);
    } finally {
      this.#deleting = false;
    }
    this.#recovery.lost(why, true);
  }
}

/** Deletes a consumer; one already gone is as good. */
async function deleteConsumer(jsm: JetStreamManager, stream: string, name: string): Promise<void> {
  try {
    await jsm.consumers.delete(stream, name);
  } catch (err) {
    if (!isMissingResource(err)) throw err;
  }
}
