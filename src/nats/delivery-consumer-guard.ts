/**
 * Keeps the delivery consumer's settings hookswitch's own while the daemon runs, as
 * consumer-guard.ts does for the event consumer, whose reading every 5 s it shares the
 * rules of. An edit of `<consumer>-deliveries` (a `max_batch` below the loop's pulls, an
 * `inactive_threshold`, a shorter ack wait) otherwise held until the next start: retries
 * and parked deliveries stopped, or went out twice, with /readyz ready. A changed filter
 * has the consumer created again by the recovery, which reads all of its stream (a work
 * queue: only deliveries still to do). It also tells when the retries waiting near the
 * consumer's limit (`--max-waiting-retries`): each holds a place there while it waits, and at
 * the limit NATS hands out no other, due or not, for any integration.
 */
import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { DELIVERY_STREAM } from "./layout.js";
import { guardConsumer } from "./consumer-guard.js";
import { isConsumerInfo, type DurableConsumerConfig } from "./durable-consumers.js";

export interface DeliveryGuard {
  stop(): void;
}

export function guardDeliveryConsumer(options: {
  jsm: JetStreamManager;
  /** The config the last set-up applied; undefined until the first set-up is done. */
  wanted: () => DurableConsumerConfig | undefined;
  log: Logger;
  intervalMs: number;
  /** True while a recovery sets JetStream up again: its set-up applies the settings. */
  recovering: () => boolean;
  /** Deletes the consumer and has the recovery create it again. */
  recreate: (why: string) => Promise<void>;
  /** Each reading of the consumer (its waiting retries, for the metrics). */
  read?: (info: ConsumerInfo) => void;
}): DeliveryGuard {
  const { jsm } = options;
  const guard = guardConsumer({ ...options, stream: DELIVERY_STREAM });
  const nearlyFull = waitingLimitNotice(options.log);
  let reading = false;
  const read = async () => {
    const wanted = options.wanted();
    if (reading || !wanted) return;
    reading = true;
    try {
      const info = await jsm.consumers.info(DELIVERY_STREAM, wanted.durable_name);
      // A missing consumer is the recovery's: its reader's notices report it.
      if (!isConsumerInfo(info)) return;
      options.read?.(info);
      nearlyFull(info);
      await guard.check(info, wanted);
    } catch {
      // NATS down or the consumer gone: the next reading, or the recovery, sees to it.
    } finally {
      reading = false;
    }
  };
  const timer = setInterval(() => void read(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Said at 90% of the limit, once, and again only after the waiting fell below 80% of it. */
export function waitingLimitNotice(log: Logger): (info: ConsumerInfo) => void {
  let told = false;
  return ({ name, config, num_ack_pending: waiting }) => {
    const limit = config.max_ack_pending ?? 0;
    if (limit <= 0) return;
    if (told) {
      told = waiting >= limit * 0.8;
      return;
    }
    if (waiting < limit * 0.9) return;
    told = true;
    log.warn(
      { consumer: name, waiting, limit },
      `${waiting} retries and replays wait in consumer ${name}, ` +
        `${waiting >= limit ? "at" : "near"} its limit of ${limit} (--max-waiting-retries): at ` +
        `the limit NATS hands out no other retry or replay, due or not, of any integration, ` +
        `until some of those waiting come due; hookswitch_deliveries_waiting{kind="retry"} ` +
        `names the integrations they wait for. Raise --max-waiting-retries (NATS keeps about ` +
        `250 bytes of memory for each)`,
    );
  };
}
