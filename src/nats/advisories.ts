/**
 * Watches the server's MAX_DELIVERIES advisories for hookswitch's event consumer. A
 * message that reached the consumer's max_deliver is never redelivered; rather than let
 * it vanish, it is copied to the dead-letter queue with the reason. Every replica sees
 * the advisory; the message id makes the copy happen once.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import pRetry from "p-retry";
import type { Logger } from "pino";
import { unroutedDeadLetter, type DeadLetterRecord } from "../delivery/records.js";
import { StoreFailedError } from "./store-failure.js";

export interface MaxDeliveriesOptions {
  stream: string;
  consumer: string;
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

export function watchMaxDeliveries(
  nc: NatsConnection,
  jsm: JetStreamManager,
  options: MaxDeliveriesOptions,
): { stop(): void } {
  const { stream, consumer, log } = options;
  // One controller per rescue under way, all aborted at stop: p-retry adds an abort
  // listener to the signal it is given, and a signal shared by the 156 rescues of a full
  // JetStream made Node warn of a listener leak (MaxListenersExceededWarning) on stderr.
  const pending = new Set<AbortController>();
  let stopping = false;
  const sub = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`);
  void (async () => {
    for await (const msg of sub) {
      let advisory: MaxDeliveriesAdvisory;
      try {
        advisory = msg.json<MaxDeliveriesAdvisory>();
      } catch (err) {
        log.error({ err, stream, consumer }, "unreadable max-deliveries advisory");
        continue;
      }
      if (stopping) break;
      const rescue = new AbortController();
      pending.add(rescue);
      // Not awaited: a copy waiting for room must not hold up the next advisory's.
      void rescueUntilStored(jsm, options, advisory, rescue.signal).finally(() =>
        pending.delete(rescue),
      );
    }
  })();
  return {
    stop() {
      stopping = true;
      for (const rescue of pending) rescue.abort();
      sub.unsubscribe();
    },
  };
}

async function rescueUntilStored(
  jsm: JetStreamManager,
  options: MaxDeliveriesOptions,
  advisory: MaxDeliveriesAdvisory,
  signal: AbortSignal,
): Promise<void> {
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
  } catch (err) {
    // Only a stop ends the tries. The event is still in its stream, under this sequence.
    log.error(
      { err, ...where },
      "stopped before a message that ran out of deliveries was dead-lettered: publish it again from its stream",
    );
  }
}

function reasonOf(advisory: MaxDeliveriesAdvisory): string {
  return (
    `gave up after ${advisory.deliveries} deliveries of stream message ${advisory.stream_seq}: ` +
    `hookswitch could not record its deliveries (see the logs); \`hookswitch dlq replay\` publishes the event again`
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
