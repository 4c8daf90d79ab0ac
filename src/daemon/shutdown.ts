/**
 * The steps of `hookswitch run`'s shutdown ladder. Every step is bounded and none can
 * end the ladder: a step that fails or hangs (NATS down, a stuck close) is logged at warn
 * and the next one runs, so a stop always ends with the servers closed and exit 0.
 * Whatever could not be acknowledged or handed back comes again after the ack wait: at
 * least once, as after a crash.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { withDeadline } from "../lifecycle.js";

/** How long the ladder waits for a close, or for a NATS drain. */
const CLOSE_WAIT_MS = 5_000;
const DRAIN_WAIT_MS = 10_000;
/**
 * After the grace period, how long aborted deliveries get to be parked as records of their
 * own. A publish NATS does not answer takes longer than this (four 5 s tries): then the
 * stop goes on and the event comes back after the ack wait.
 */
export const PARK_ABORTED_WAIT_MS = 5_000;

/** Runs one step: true once it finished, false (and a warning) when it failed or timed out. */
export async function shutdownStep(
  log: Logger,
  what: string,
  work: () => Promise<unknown> | undefined,
  waitMs = CLOSE_WAIT_MS,
): Promise<boolean> {
  try {
    // withDeadline races the step: a rejection after the deadline is still handled.
    const finished = await withDeadline(
      Promise.resolve(work()).then(() => true),
      waitMs,
    );
    if (finished) return true;
    log.warn({ waitedMs: waitMs }, `stopping: gave up waiting to ${what}`);
  } catch (err) {
    log.warn({ err }, `stopping: could not ${what}`);
  }
  return false;
}

/**
 * Drains the connection when it is up: pending acknowledgements and hand-backs leave,
 * subscriptions end. When NATS is down a drain cannot finish (its flush is refused at the
 * next reconnect attempt): the connection is closed instead.
 */
export async function closeNats(
  log: Logger,
  nc: NatsConnection | undefined,
  connected: boolean,
): Promise<void> {
  if (!nc || nc.isClosed()) return;
  if (connected && (await shutdownStep(log, "drain NATS", () => nc.drain(), DRAIN_WAIT_MS))) {
    return;
  }
  if (!connected) {
    // Each consumer says how many acks and hand-backs it could not send (`unsent`).
    log.warn("stopping without NATS: the connection is closed, not drained");
  }
  await shutdownStep(log, "close the NATS connection", () => nc.close());
}
