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
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "../delivery/records.js";
import { StreamMissingError } from "../errors.js";
import { settleDeletions } from "./deletion-settle.js";
import { guardConsumer } from "./consumer-guard.js";
import { writeBookmark } from "./consumer-bookmark.js";
import {
  createRecovery,
  isMissingResource,
  watchAckFloor,
  watchConsumerStatus,
  type ConsumerWatch,
} from "./recovery.js";
import type { JetStreamNames } from "./settings.js";
import { deliveryConsumerWanted, ensureJetStream, onceLog } from "./setup.js";
import { guardDeliveryConsumer } from "./delivery-consumer-guard.js";
import { deliveryConsumerName } from "./durable-consumers.js";

/** How often the event consumer's ack floor is read: a re-created consumer starts there. */
const ACK_FLOOR_INTERVAL_MS = 5_000;
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
}): JetStreamKeeper {
  const { jsm, names, ackWaitMs, log } = options;
  const watches: ConsumerWatch[] = [];
  const setupLog = onceLog(log);
  const abort = new AbortController();
  // While the guard deletes the consumer itself (to create it again).
  let deleting = false;
  const lost = (what: string) => recovery.lost(what, deleting);
  const guard = guardConsumer({
    jsm,
    stream: names.stream,
    log,
    recovering: () => recovery.reason() !== undefined,
    recreate: async (why) => {
      // The reading that found the change must not move the resume point past it: a copy
      // of the point is a new reading to the ack-floor watch, which then keeps it.
      const before = ackFloor.point();
      if (before) ackFloor.set({ ...before });
      // Where the recovery creates it, kept on NATS: a stop before it does loses no event.
      if (before?.consumerConfig && !before.workQueue) {
        await writeBookmark(jsm, names.stream, {
          ...before.consumerConfig,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: before.nextSeq,
          opt_start_time: undefined,
        });
      }
      // Deleted first: a deletion that fails starts no recovery (the next reading tries
      // again). Its notice to the consumers, meanwhile, is no news.
      deleting = true;
      try {
        await deleteConsumer(jsm, names.stream, names.consumer);
      } finally {
        deleting = false;
      }
      recovery.lost(why, true);
    },
  });
  const deliveryWanted = deliveryConsumerWanted(names, ackWaitMs);
  const deliveryGuard = guardDeliveryConsumer({
    jsm,
    wanted: () => (ackFloor.point() ? deliveryWanted : undefined),
    log,
    intervalMs: ACK_FLOOR_INTERVAL_MS,
    recovering: () => recovery.reason() !== undefined,
    recreate: async (why) => {
      deleting = true;
      try {
        await deleteConsumer(jsm, DELIVERY_STREAM, deliveryConsumerName(names.consumer));
      } finally {
        deleting = false;
      }
      recovery.lost(why, true);
    },
  });
  const ackFloor = watchAckFloor({
    jsm,
    stream: names.stream,
    consumer: names.consumer,
    intervalMs: ACK_FLOOR_INTERVAL_MS,
    lost,
    read: (info) => {
      options.consumerRead?.(info);
      // An operator's edit of the consumer is put back (consumer-guard.ts).
      void guard.check(info, ackFloor.point()?.consumerConfig);
    },
  });
  const recovery = createRecovery({
    setup: async () =>
      ackFloor.set(
        await ensureJetStream(jsm, names, ackWaitMs, { resume: ackFloor.point() }, setupLog),
      ),
    settle: (pause, stopped) =>
      settleDeletions(jsm, [names.stream, DELIVERY_STREAM, DEAD_LETTER_STREAM], {
        pause,
        stopped,
      }),
    resumed: async () => {
      await Promise.all(watches.map((watch) => watch.nextPull(RESUME_WAIT_MS)));
    },
    log,
  });
  // Why the first set-up has not worked yet, for /readyz while it is tried again.
  let startFailure: string | undefined;
  // When the first set-up found the event stream missing (--no-create-stream): the
  // consumer created once it exists starts there, so no event published meanwhile is lost.
  let missingSince: number | undefined;

  return {
    async start(consume) {
      // Tried until it works or the daemon stops: what fails here (a cluster that lost its
      // quorum, a stream of ours set up by hand the wrong way, an event stream that
      // operations have not created yet under --no-create-stream) is waited out not ready
      // rather than in a crash loop; a GitOps rollout often applies the stream and the
      // daemon together. A problem is logged at warn; the same one again in a row, at debug.
      await pRetry(
        async () => {
          const from = { missingSince };
          ackFloor.set(await ensureJetStream(jsm, names, ackWaitMs, from, setupLog));
          startFailure = undefined;
          await consume();
        },
        {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: 500,
          maxTimeout: 30_000,
          signal: abort.signal,
          shouldRetry: () => !abort.signal.aborted,
          onFailedAttempt: ({ error }) => {
            if (abort.signal.aborted) return;
            if (error instanceof StreamMissingError) missingSince ??= Date.now();
            const level = error.message === startFailure ? "debug" : "warn";
            startFailure = error.message;
            log[level](
              { problem: error.message },
              `JetStream set-up failed: ${error.message}; retrying`,
            );
          },
        },
      );
    },
    watch(messages, where) {
      const watch = watchConsumerStatus(messages, where, lost, log);
      watches.push(watch);
      // An iterator that ended (closed, or read again in a new one) is watched no more.
      void watch.ended.then(() => {
        const at = watches.indexOf(watch);
        if (at !== -1) watches.splice(at, 1);
      });
    },
    reason: () =>
      recovery.reason() ??
      (startFailure === undefined ? undefined : `JetStream set-up failed: ${startFailure}`),
    lost,
    stop() {
      abort.abort();
      recovery.stop();
      ackFloor.stop();
      deliveryGuard.stop();
    },
  };
}

/** Deletes a consumer; one already gone is as good. */
async function deleteConsumer(jsm: JetStreamManager, stream: string, name: string): Promise<void> {
  try {
    await jsm.consumers.delete(stream, name);
  } catch (err) {
    if (!isMissingResource(err)) throw err;
  }
}
