/**
 * How a consumer loop's own end is told. A fetch that ends in JetStream's `heartbeats
 * missed` (NATS restarted or stopped answering: the parked readers' fetches end so at every
 * restart of NATS) is a foreseen end: the parked readers read the consumer again once NATS
 * answers (parked-readers.ts), so it is a warning without a stack, not an error that an
 * alert on errors would fire for at every rolling restart of NATS. consume(), which the
 * event and delivery loops use, never ends so; any other end keeps error and its stack.
 */
import { JetStreamError } from "@nats-io/jetstream";
import type { Logger } from "pino";

const HEARTBEATS_MISSED = "heartbeats missed";

export function logLoopEnd(log: Logger, consumer: string, err: unknown): void {
  if (err instanceof JetStreamError && err.message === HEARTBEATS_MISSED) {
    log.warn(
      { consumer, reason: err.message },
      `stopped reading consumer ${consumer}: ${err.message} (NATS restarted or not answering); ` +
        "it is read again once NATS answers",
    );
  } else {
    log.error({ err, consumer }, "consumer loop ended");
  }
}
