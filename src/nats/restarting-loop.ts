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
  return new RestartingConsumerLoop(options);
}

/** The loop reading the consumer now, the loops it replaced, and the next attempt's timer. */
class RestartingConsumerLoop implements RestartingLoop {
  readonly #options: RestartingLoopOptions;
  readonly #name: string;
  readonly #log: Logger;
  readonly #delayMs: (attempt: number) => number;
  #stopped = false;
  #reason: string | undefined;
  // Failed attempts since the consumer was last read: the next delay grows with them.
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  // An attempt under way: stop() waits for it, so that it leaves nothing running.
  #attempting: Promise<void> | undefined;
  // Loops whose source ended: their handlers in progress still finish, and a stop waits for them.
  readonly #endedLoops = new Set<ConsumerLoop>();
  #current: ConsumerLoop;

  constructor(options: RestartingLoopOptions) {
    this.#options = options;
    this.#name = options.name;
    this.#log = options.log;
    this.#delayMs = options.delayMs ?? restartDelayMs;
    this.#current = this.#start(options.first);
  }

  readonly reason = (): string | undefined => (this.#halted() ? undefined : this.#reason);

  readonly done = (): Promise<void> => this.#current.done();

  async sent(): Promise<void> {
    await Promise.all([this.#current, ...this.#endedLoops].map((loop) => loop.sent()));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#attempting;
    // Ended loops are stopped too: one still holding acks waits for NATS like the others.
    await Promise.all([this.#current.stop(), ...[...this.#endedLoops].map((loop) => loop.stop())]);
  }

  #halted(): boolean {
    return this.#stopped || this.#options.stopping();
  }

  #start(messages: ConsumerMessages): ConsumerLoop {
    // The hooks are called only once the loop reads (later than this function's end).
    const hooks: LoopHooks = {
      ended: (err) => this.#ended(loop, err),
      firstMessage: () => this.#reading(loop),
    };
    const loop = this.#options.run(messages, hooks);
    // Heartbeats tell a quiet consumer read again from one still failing: without them it
    // stays not ready until its next message.
    void this.#readOnHeartbeat(messages, loop).catch((err: unknown) =>
      this.#log.warn(
        { err, consumer: this.#name },
        "the consumer's heartbeats are no longer read: read again, it stays not ready until its next message",
      ),
    );
    return loop;
  }

  async #readOnHeartbeat(messages: ConsumerMessages, loop: ConsumerLoop): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === "heartbeat") this.#reading(loop);
    }
  }

  #ended(loop: ConsumerLoop, err: unknown): void {
    if (loop !== this.#current) return;
    if (this.#halted()) {
      // An end during a stop: nothing is read again.
      if (err !== undefined) logLoopEnd(this.#log, this.#name, err);
      return;
    }
    this.#readAgainLater(err);
  }

  #readAgainLater(err: unknown): void {
    const problem = err === undefined ? "its message iterator ended" : coerceError(err).message;
    const wait = this.#delayMs(this.#attempt);
    this.#logNotReading(err, problem, wait);
    this.#reason = `consumer ${this.#name} stopped reading: ${problem}; reading it again`;
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#attempting = this.#again().finally(() => (this.#attempting = undefined));
    }, wait);
  }

  #logNotReading(err: unknown, problem: string, wait: number): void {
    const name = this.#name;
    if (this.#reason === undefined) {
      this.#log.error(
        { err, consumer: name, retryInMs: wait },
        `consumer ${name} stopped reading (${problem}): not ready while it is read again`,
      );
    } else {
      // Still failing: /readyz keeps saying why; one line per attempt at debug.
      this.#log.debug(
        { problem, consumer: name, retryInMs: wait },
        `reading consumer ${name} failed again`,
      );
    }
  }

  // Ready again only once the server sends to the new iterator (a heartbeat or a message):
  // an inbox it refuses ends the iterator a round trip after it opened.
  #reading(loop: ConsumerLoop): void {
    if (loop !== this.#current || this.#reason === undefined || this.#halted()) return;
    this.#reason = undefined;
    this.#attempt = 0;
    this.#log.info({ consumer: this.#name }, `consumer ${this.#name} read again: consuming`);
  }

  async #again(): Promise<void> {
    if (this.#halted()) return;
    let messages: ConsumerMessages;
    try {
      messages = await this.#options.open();
    } catch (err) {
      if (this.#halted()) return;
      // As an end of the loop: not ready with this problem, and tried again later.
      this.#ended(this.#current, err);
      return;
    }
    if (this.#halted()) {
      // Unsubscribes at once; the promise would wait for a read of the iterator, never made.
      void messages.close();
      return;
    }
    this.#replace(this.#start(messages));
  }

  #replace(loop: ConsumerLoop): void {
    const earlier = this.#current;
    this.#endedLoops.add(earlier);
    // Kept until its acks are out: a stop while NATS is down waits for them (consumer-loop.ts).
    void earlier
      .done()
      .then(() => earlier.sent())
      .then(() => this.#endedLoops.delete(earlier));
    this.#current = loop;
  }
}
