/**
 * Takes messages from a durable JetStream consumer and runs a handler for each, in
 * parallel up to the shared concurrency cap. Keeps long handlers' messages alive with
 * `working()` so a slow webhook is never redelivered (and sent twice) by an ack timeout,
 * and hands messages back (`nak`) when stopping or when a handler fails (message-loop.ts).
 */
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { NatsLink } from "./connection.js";
import { MessageLoop } from "./message-loop.js";
import { consumeOptions, type PullSize } from "./pull-size.js";
import type { Settle } from "./settle.js";
import type { StoreFailureLog } from "./store-failure-log.js";

/** Places for messages in progress, each weighing its payload's bytes (delivery/concurrency/intake.ts). */
export interface Slots {
  acquire(bytes: number): Promise<void> | undefined;
  release(bytes: number): void;
}

/** Where a loop's messages come from; `close` ends the iteration. */
export interface MessageSource extends AsyncIterable<JsMsg> {
  close(): Promise<unknown>;
}

export interface ConsumerLoopOptions {
  name: string;
  messages: MessageSource;
  handle: (msg: JsMsg) => Promise<Settle>;
  slots: Slots;
  /** The consumer's ack_wait; heartbeats go out at a third of it. */
  ackWaitMs: number;
  log: Logger;
  /**
   * Tells, in bounded numbers, of messages handed back because NATS did not store a record
   * (shared by the loops); without it each is an error line of its own.
   */
  storeFailures?: StoreFailureLog;
  /**
   * The source ended by itself, not after stop(): with its error, if any (restarting-loop.ts
   * logs it and reads the consumer again); without it, the end is logged here.
   */
  ended?: (err: unknown) => void;
  /** The source's first message: the server sends to it. */
  firstMessage?: () => void;
  /**
   * The connection: while it is down, acks, hand-backs and heartbeats wait for it, and no
   * handler starts (its ack would wait too, and its message may come again meanwhile).
   * Without it the connection counts as up.
   */
  link?: NatsLink;
  /**
   * Aborted when shutdown's grace period ends. Until then a stop while NATS is down waits
   * for it to come back, so that the loop's acks and hand-backs are sent; without it a
   * stop does not wait.
   */
  grace?: AbortSignal;
  /**
   * Aborted when a stop gives up waiting for the loops (NATS down past the grace period): a
   * loop stopping then counts what it leaves in one warning, and logs nothing more of it.
   */
  givenUp?: AbortSignal;
  /**
   * The connection and the consumer the messages come from: with them, a stop has the server
   * drop the pull requests its subscription left open (stale-pulls.ts).
   */
  stalePulls?: { nc: NatsConnection; stream: string; consumer: string };
}

export interface ConsumerLoop {
  /** Stops pulling, then waits for the handlers in progress (which the caller may abort). */
  stop(): Promise<void>;
  /** Resolves once the source has ended (or the loop stopped) and no handler is running. */
  done(): Promise<void>;
  /**
   * Resolves once no ack or hand-back is held (at once when none is): those held while NATS
   * is down go out once it is back. An owner keeps a loop that is done until then, to stop it
   * at shutdown, where it waits for NATS within the grace period.
   */
  sent(): Promise<void>;
}

/** Everything the consumer has, as it comes, `size` at a time (pull-size.ts). */
export function pullContinuously(consumer: Consumer, size: PullSize): Promise<ConsumerMessages> {
  return consumer.consume(consumeOptions(size));
}

export function startConsumerLoop(options: ConsumerLoopOptions): ConsumerLoop {
  return new MessageLoop(options);
}
