/**
 * Keeps the delivery consumer's settings hookswitch's own while the daemon runs, as
 * consumer-guard.ts does for the event consumer, whose reading every 5 s it shares the
 * rules of. An edit of `<consumer>-deliveries` (a `max_batch` below the loop's pulls, an
 * `inactive_threshold`, a shorter ack wait) otherwise held until the next start: retries
 * and parked deliveries stopped, or went out twice, with /readyz ready. A changed filter
 * has the consumer created again by the recovery, which reads all of its stream (a work
 * queue: only deliveries still to do).
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { DELIVERY_STREAM } from "../delivery/records.js";
import { guardConsumer } from "./consumer-guard.js";
import type { DurableConsumerConfig } from "./durable-consumers.js";
import { isConsumerInfo } from "./durable-consumers.js";

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
}): DeliveryGuard {
  const { jsm } = options;
  const guard = guardConsumer({ ...options, stream: DELIVERY_STREAM });
  let reading = false;
  const read = async () => {
    const wanted = options.wanted();
    if (reading || !wanted) return;
    reading = true;
    try {
      const info = await jsm.consumers.info(DELIVERY_STREAM, wanted.durable_name);
      // A missing consumer is the recovery's: its reader's notices report it.
      if (isConsumerInfo(info)) await guard.check(info, wanted);
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
