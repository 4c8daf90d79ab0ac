/**
 * Watches the server's MAX_DELIVERIES advisories for hookswitch's event consumer. A
 * message that reached the consumer's max_deliver is never redelivered; rather than let
 * it vanish, it is copied to the dead-letter queue with the reason. The advisories are kept
 * in a stream (advisory-stream.ts), so that one published while no replica listened is
 * read by the next; one replica takes each. Where another stream captures them, every
 * replica listens while it runs, and the message id makes the copy happen once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import pRetry from "p-retry";
import type { Logger } from "pino";
import { doublingDelayMs } from "../backoff.js";
import { coerceError } from "../errors.js";
import { unroutedDeadLetter, type DeadLetterRecord } from "../delivery/records.js";
import {
  ADVISORY_STREAM,
  advisoryConsumerName,
  ensureAdvisoryCapture,
  maxDeliveriesSubject,
} from "./advisory-stream.js";
import { StoreFailedError } from "./store-failure.js";

export interface MaxDeliveriesOptions {
  stream: string;
  consumer: string;
  /** Replicas of the advisories' stream when it is created. */
  replicas: number;
  deadLetter: (record: DeadLetterRecord, msgId: string) => Promise<unknown>;
  log: Logger;
}

interface MaxDeliveriesAdvisory {
  stream_seq: number;
  deliveries: number;
}

/**
 * A copy that fails is tried again until it is stored or the watch stops: the consumer
 * never delivers the message again, and what made its deliveries fail (JetStream out of
 * storage, say) often refuses the dead letter too for a while.
 */
const UNTIL_STORED = {
  retries: Number.POSITIVE_INFINITY,
  minTimeout: 1_000,
  maxTimeout: 30_000,
};

/** Resolves once the advisories are kept (or listened to): none is missed from then on. */
export async function watchMaxDeliveries(
  nc: NatsConnection,
  js: JetStreamClient,
  jsm: JetStreamManager,
  options: MaxDeliveriesOptions,
): Promise<{ stop(): void }> {
  // One controller per rescue under way, all aborted at stop: p-retry adds an abort
  // listener to the signal it is given, and a signal shared by the 156 rescues of a full
  // JetStream made Node warn of a listener leak (MaxListenersExceededWarning) on stderr.
  const pending = new Set<AbortController>();
  const stopped = new AbortController();
  const rescueOf = async (data: Msg | JsMsg): Promise<boolean> => {
    const advisory = readAdvisory(data, options);
    if (!advisory || stopped.signal.aborted) return false;
    const rescue = new AbortController();
    pending.add(rescue);
    try {
      return await rescueUntilStored(jsm, options, advisory, rescue.signal, "ack" in data);
    } finally {
      pending.delete(rescue);
    }
  };
  await new Promise<void>((ready) => {
    void keepWatching({ nc, js, jsm, options, rescueOf, ready, signal: stopped.signal });
  });
  return {
    stop() {
      stopped.abort();
      for (const rescue of pending) rescue.abort();
    },
  };
}

/** Reads the stream's advisories, or, where another stream has them, listens while running. */
async function keepWatching(watch: {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  options: MaxDeliveriesOptions;
  rescueOf: (data: Msg | JsMsg) => Promise<boolean>;
  /** Called once the advisories are kept or listened to, or the first try failed. */
  ready: () => void;
  signal: AbortSignal;
}): Promise<void> {
  const { nc, js, jsm, options, rescueOf, signal } = watch;
  const { log, stream, consumer } = options;
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      if (!(await ensureAdvisoryCapture(jsm, options))) {
        log.warn(
          { stream, consumer },
          `another stream captures ${maxDeliveriesSubject(stream, consumer)}: hookswitch hears ` +
            `an event that runs out of deliveries only while a replica runs`,
        );
        const listening = listenWhileRunning(nc, options, rescueOf, signal);
        watch.ready();
        return await listening;
      }
      watch.ready();
      if (await readKept(js, advisoryConsumerName(stream, consumer), rescueOf, signal)) attempt = 0;
    } catch (err) {
      watch.ready();
      if (signal.aborted) return;
      log[attempt === 0 ? "warn" : "debug"](
        // A NATS condition that passes (a stream set up again): its message, not its stack.
        { error: coerceError(err).message, stream: ADVISORY_STREAM },
        "cannot read the advisories of events that ran out of deliveries; trying again",
      );
    }
    await sleep(doublingDelayMs(attempt, 1_000, 30_000), undefined, { signal }).catch(
      () => undefined,
    );
  }
}

/** Copies under way at once: one waiting for room in JetStream must not hold up the rest. */
const AT_ONCE = 16;

/** Reads the kept advisories until the reading ends; true when it read any. */
async function readKept(
  js: JetStreamClient,
  name: string,
  rescueOf: (data: JsMsg) => Promise<boolean>,
  signal: AbortSignal,
): Promise<boolean> {
  const reader = await js.consumers.get(ADVISORY_STREAM, name);
  // Ends when the stream or the consumer is gone (deleted by hand): keepWatching sets them
  // up again, where the client would go on asking for them.
  const messages = await reader.consume({
    max_messages: AT_ONCE,
    expires: 10_000,
    abort_on_missing_resource: true,
  });
  const close = () => void messages.close();
  signal.addEventListener("abort", close, { once: true });
  const copying = new Set<Promise<void>>();
  let read = false;
  try {
    for await (const msg of messages) {
      read = true;
      const copy = settleAfter(msg, rescueOf, signal).finally(() => copying.delete(copy));
      copying.add(copy);
      if (copying.size >= AT_ONCE) await Promise.race(copying);
    }
  } finally {
    signal.removeEventListener("abort", close);
  }
  return read;
}

/** Acknowledges an advisory once its event is a dead letter; hands it back at a stop. */
async function settleAfter(
  msg: JsMsg,
  rescueOf: (data: JsMsg) => Promise<boolean>,
  signal: AbortSignal,
): Promise<void> {
  // A copy that waits for room in JetStream may outlast the ack wait.
  const alive = setInterval(() => msg.working(), 20_000);
  try {
    // An unreadable advisory (said once) is acknowledged too: it never reads better.
    if ((await rescueOf(msg)) || !signal.aborted) msg.ack();
    else msg.nak();
  } finally {
    clearInterval(alive);
  }
}

/** Subscribes at once; the promise ends with the subscription. */
function listenWhileRunning(
  nc: NatsConnection,
  options: MaxDeliveriesOptions,
  rescueOf: (data: Msg) => Promise<boolean>,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted || nc.isClosed()) return Promise.resolve();
  const sub = nc.subscribe(maxDeliveriesSubject(options.stream, options.consumer));
  signal.addEventListener("abort", () => sub.unsubscribe(), { once: true });
  return (async () => {
    for await (const msg of sub) {
      // Not awaited: a copy waiting for room must not hold up the next advisory's.
      void rescueOf(msg);
    }
  })();
}

function readAdvisory(
  data: Msg | JsMsg,
  { log, stream, consumer }: MaxDeliveriesOptions,
): MaxDeliveriesAdvisory | undefined {
  try {
    return data.json<MaxDeliveriesAdvisory>();
  } catch (err) {
    log.error({ err, stream, consumer }, "unreadable max-deliveries advisory");
    return undefined;
  }
}

async function rescueUntilStored(
  jsm: JetStreamManager,
  options: MaxDeliveriesOptions,
  advisory: MaxDeliveriesAdvisory,
  signal: AbortSignal,
  /** Kept in the advisories' stream: one not copied is handed back, for the next replica. */
  kept: boolean,
): Promise<boolean> {
  const { stream, consumer, log } = options;
  const where = { stream, consumer, seq: advisory.stream_seq };
  log.error({ ...where, deliveries: advisory.deliveries }, reasonOf(advisory));
  try {
    await pRetry(() => rescue(jsm, options, advisory), {
      ...UNTIL_STORED,
      signal,
      shouldRetry: () => !signal.aborted,
      onFailedAttempt: ({ error, attemptNumber }) => {
        if (signal.aborted) return;
        // Said once at error; the tries that follow, every 30 s at most, at debug. A store
        // that NATS refused (storage full) is foreseen and counted: its reason, no stack.
        const cause =
          error instanceof StoreFailedError ? { reason: error.message } : { err: error };
        log[attemptNumber === 1 ? "error" : "debug"](
          { ...cause, ...where },
          "could not dead-letter a message that ran out of deliveries; trying again",
        );
      },
    });
    return true;
  } catch (err) {
    // Only a stop ends the tries.
    if (!kept) {
      // The event is still in its stream, under this sequence, and nobody will copy it.
      log.error(
        { err, ...where },
        "stopped before a message that ran out of deliveries was dead-lettered: publish it again from its stream",
      );
    }
    return false;
  }
}

function reasonOf(advisory: MaxDeliveriesAdvisory): string {
  return (
    `gave up after ${advisory.deliveries} deliveries of stream message ${advisory.stream_seq}: ` +
    `NATS delivered it that often without an acknowledgement (hookswitch could not record its ` +
    `deliveries, or lost its connection while it held the event, as a slow consumer of large ` +
    `messages: see the logs); it may have been sent already; \`hookswitch dlq replay\` publishes the event again`
  );
}

async function rescue(
  jsm: JetStreamManager,
  options: MaxDeliveriesOptions,
  advisory: MaxDeliveriesAdvisory,
): Promise<void> {
  const stored = await jsm.streams.getMessage(options.stream, { seq: advisory.stream_seq });
  if (!stored) return;
  await options.deadLetter(
    unroutedDeadLetter({
      reason: reasonOf(advisory),
      event: parseOrText(stored.string()),
      subject: stored.subject,
      deadAt: new Date().toISOString(),
    }),
    `maxdeliver:${options.stream}:${advisory.stream_seq}`,
  );
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
