/**
 * Keeps one of the daemon's main consumer loops (events, deliveries) reading. The client's
 * consume() iterator ends for good on some errors (a permissions violation on its inbox
 * subscription, a 400 status, some 409s); nothing started it again, so the daemon stayed
 * ready while it consumed nothing on that consumer. Here an end that no stop asked for
 * makes the daemon not ready, naming the consumer and the error, and the consumer is read
 * again with a growing delay until it works or the daemon stops.
 */
import type { ConsumerMessages } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { doublingDelayMs } from "../backoff.js";
import { coerceError } from "../errors.js";
import type { ConsumerLoop } from "./consumer-loop.js";
import { logLoopEnd } from "./loop-end.js";

/** How long before reading the consumer again: 1 s, doubling up to 30 s. */
export function restartDelayMs(attempt: number): number {
  return doublingDelayMs(attempt, 1_000, 30_000);
}

/** What the loop is told to tell of its source. */
export interface LoopHooks {
  /** The source ended by itself (not after stop()), with its error if any. */
  ended: (err: unknown) => void;
  /** The source's first message. */
  firstMessage: () => void;
}

export interface RestartingLoopOptions {
  /** The consumer's name, for readiness and logs. */
  name: string;
  /** The iterator the loop starts with, opened by the caller. */
  first: ConsumerMessages;
  /** Opens the consumer's iterator again. */
  open: () => Promise<ConsumerMessages>;
  /** Watches and reads an iterator in a consumer loop. */
  run: (messages: ConsumerMessages, hooks: LoopHooks) => ConsumerLoop;
  /** True once the daemon's stop has begun: nothing is started again then. */
  stopping: () => boolean;
  log: Logger;
  delayMs?: (attempt: number) => number;
}

export interface RestartingLoop extends ConsumerLoop {
  /** Why the consumer is not read at the moment; undefined while it is. */
  reason(): string | undefined;
}

export function startRestartingLoop(options: RestartingLoopOptions): RestartingLoop {
  const { name, log, delayMs = restartDelayMs } = options;
  let stopped = false;
  let reason: string | undefined;
  // Failed attempts since the consumer was last read: the next delay grows with them.
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  // An attempt under way: stop() waits for it, so that it leaves nothing running.
  let attempting: Promise<void> | undefined;
  // Loops whose source ended: their handlers in progress still finish, and a stop waits for them.
  const endedLoops = new Set<ConsumerLoop>();
  const halted = () => stopped || options.stopping();

  const ended = (loop: ConsumerLoop) => (err: unknown) => {
    if (loop !== current) return;
    if (halted()) {
      // An end during a stop: nothing is read again.
      if (err !== undefined) logLoopEnd(log, name, err);
      return;
    }
    const problem = err === undefined ? "its message iterator ended" : coerceError(err).message;
    const wait = delayMs(attempt);
    if (reason === undefined) {
      log.error(
        { err, consumer: name, retryInMs: wait },
        `consumer ${name} stopped reading (${problem}): not ready while it is read again`,
      );
    } else {
      // Still failing: /readyz keeps saying why; one line per attempt at debug.
      log.debug(
        { problem, consumer: name, retryInMs: wait },
        `reading consumer ${name} failed again`,
      );
    }
    reason = `consumer ${name} stopped reading: ${problem}; reading it again`;
    attempt++;
    timer = setTimeout(() => {
      timer = undefined;
      attempting = again().finally(() => (attempting = undefined));
    }, wait);
  };

  // Ready again only once the server sends to the new iterator (a heartbeat or a message):
  // an inbox it refuses ends the iterator a round trip after it opened.
  const reading = (loop: ConsumerLoop) => () => {
    if (loop !== current || reason === undefined || halted()) return;
    reason = undefined;
    attempt = 0;
    log.info({ consumer: name }, `consumer ${name} read again: consuming`);
  };

  const start = (messages: ConsumerMessages) => {
    // The hooks are called only once the loop reads (later than this function's end).
    const hooks: LoopHooks = {
      ended: (err) => ended(loop)(err),
      firstMessage: () => reading(loop)(),
    };
    const loop = options.run(messages, hooks);
    void (async () => {
      for await (const status of messages.status()) {
        if (status.type === "heartbeat") reading(loop)();
      }
    })().catch(() => undefined);
    return loop;
  };

  const replace = (loop: ConsumerLoop) => {
    const earlier = current;
    endedLoops.add(earlier);
    // Kept until its acks are out: a stop while NATS is down waits for them (consumer-loop.ts).
    void earlier
      .done()
      .then(() => earlier.sent())
      .then(() => endedLoops.delete(earlier));
    current = loop;
  };

  const again = async () => {
    if (halted()) return;
    let messages: ConsumerMessages;
    try {
      messages = await options.open();
    } catch (err) {
      if (halted()) return;
      // As an end of the loop: not ready with this problem, and tried again later.
      ended(current)(err);
      return;
    }
    if (halted()) {
      // Unsubscribes at once; the promise would wait for a read of the iterator, never made.
      void messages.close();
      return;
    }
    replace(start(messages));
  };

  let current = start(options.first);
  return {
    reason: () => (halted() ? undefined : reason),
    done: () => current.done(),
    async sent() {
      await Promise.all([current, ...endedLoops].map((loop) => loop.sent()));
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await attempting;
      // Ended loops are stopped too: one still holding acks waits for NATS like the others.
      await Promise.all([current.stop(), ...[...endedLoops].map((loop) => loop.stop())]);
    },
  };
}
