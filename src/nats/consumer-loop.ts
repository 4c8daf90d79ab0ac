/**
 * Takes messages from a durable JetStream consumer and runs a handler for each, in
 * parallel up to the shared concurrency cap. Keeps long handlers' messages alive with
 * `working()` so a slow webhook is never redelivered (and sent twice) by an ack timeout,
 * and hands messages back (`nak`) when stopping or when a handler fails.
 *
 * A message handed back after the loop stopped pulling is naked with a delay that outlasts
 * the loop's own pull requests. Closing the iterator only unsubscribes on the client: the
 * server keeps the pull requests until they expire. nats-server 2.9 redelivering a naked
 * message while such a stale request is the only one waiting drops the request and
 * mishandles the message: that message comes back only after the ack wait, and the last
 * message delivered to the consumer is delivered again as new (seen: the same event sent
 * twice 1 ms apart after a restart). Once the stale requests have expired, a naked message
 * waits for the next live pull request (the next replica or the restarted daemon).
 */
import {
  JetStreamError,
  type Consumer,
  type ConsumerMessages,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Logger } from "pino";
import { HANDED_BACK, type Settle } from "./settle.js";
import { SlotSet } from "../delivery/concurrency/slot-set.js";
import { endPull } from "./end-pull.js";
import { createHeldWrites } from "./held-writes.js";
import { doublingDelayMs } from "../backoff.js";
import { StoreFailedError } from "./store-failure.js";
import { consumeOptions, PULL_EXPIRES_MS, type PullSize } from "./pull-size.js";
import type { StoreFailureLog } from "./store-failure-log.js";
import type { NatsLink } from "./connection.js";
import { aborted } from "../lifecycle.js";

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

const ACK_HOLD_MS = 10;

/**
 * A fetch that ends in JetStream's `heartbeats missed` (NATS restarted or stopped answering:
 * the parked readers' fetches end so at every restart of NATS) is a foreseen end: the parked
 * readers read the consumer again once NATS answers (parked-readers.ts), so it is a warning
 * without a stack, not an error that an alert on errors would fire for at every rolling
 * restart of NATS. consume(), which the event and delivery loops use, never ends so; any
 * other end keeps error and its stack.
 */
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

function nakAfter(msg: JsMsg, delayMs: number) {
  if (delayMs > 0) msg.nak(Math.ceil(delayMs));
  else msg.nak();
}

/** Margin past the expiry for the server to have removed the expired request. */
const EXPIRY_MARGIN_MS = 1_000;

/** Delay before a message whose handler failed (e.g. NATS could not store a record) comes back. */
function failureDelay(msg: JsMsg): number {
  return doublingDelayMs(msg.info.deliveryCount, 500, 30_000);
}

/** How often messages in progress are kept alive: three times per ack wait. */
export function heartbeatEveryMs(ackWaitMs: number): number {
  return Math.max(250, Math.floor(ackWaitMs / 3));
}

/** Everything the consumer has, as it comes, `size` at a time (pull-size.ts). */
export function pullContinuously(consumer: Consumer, size: PullSize): Promise<ConsumerMessages> {
  return consumer.consume(consumeOptions(size));
}

export function startConsumerLoop(options: ConsumerLoopOptions): ConsumerLoop {
  const { messages, handle, slots, log, link } = options;
  // Slots, not a Set: a message comes in and one goes out for every event (delivery/concurrency/slot-set.ts).
  const inFlight = new SlotSet<JsMsg>();
  let stopping = false;
  // When the loop stopped pulling: its pull requests stay on the server until they expire.
  let closedAt: number | undefined;
  // Set once the source has ended, to learn when the last handler has.
  let onIdle: (() => void) | undefined;

  // Acks are held for a few milliseconds and leave together: at 1,000 events/s that is one
  // socket write per ten acks instead of one per ack. Nothing waits for an ack; a crash
  // within the hold only means those messages come back (at least once, as for any crash).
  const writes = createHeldWrites({ holdMs: ACK_HOLD_MS, link });

  // The message the loop waits a slot for is kept alive too: spare slots (delivery/concurrency/intake.ts) bound
  // that wait for events, but parked deliveries may wait for the spares longer.
  let awaitingSlot: JsMsg | undefined;
  // Heartbeats go out with the acks; one round at most waits for a connection that is down.
  let beatHeld = false;
  const beat = () => {
    beatHeld = false;
    for (const msg of inFlight) msg.working();
    awaitingSlot?.working();
  };
  const heartbeat = setInterval(() => {
    if (beatHeld) return;
    beatHeld = true;
    writes.add(beat);
  }, heartbeatEveryMs(options.ackWaitMs));
  heartbeat.unref();
  const settle = (msg: JsMsg, result: Settle) => {
    writes.add(() => {
      try {
        if (result.action === "ack") msg.ack();
        else nakAfter(msg, Math.max(result.delayMs, staleRequestsLeftMs()));
      } catch (err) {
        // The connection closed (a stop that gave up waiting): the message comes back
        // after the ack wait, as after a crash.
        if (!abandoned) {
          log.warn({ err, consumer: options.name, seq: msg.seq }, "cannot settle a message");
        }
      }
    });
  };
  /** Until then, a naked message could meet this loop's stale pull requests (see above). */
  const staleRequestsLeftMs = () =>
    closedAt === undefined ? 0 : closedAt + PULL_EXPIRES_MS + EXPIRY_MARGIN_MS - Date.now();

  // Set once a stop gave up on this loop and said what it left: the rest ends unlogged.
  let abandoned = false;

  const run = async (msg: JsMsg, slot: number, bytes: number) => {
    try {
      settle(msg, await handle(msg));
    } catch (err) {
      if (abandoned) {
        // Counted in the stop's warning; its message comes back after the ack wait.
      } else if (err instanceof StoreFailedError && options.storeFailures) {
        // At a stop too: with JetStream full, each message in progress ends so.
        options.storeFailures.handedBack(err, { consumer: options.name, seq: msg.seq });
      } else if (stopping) {
        // NATS down at shutdown, typically: the hand-back may not reach it either.
        log.warn({ err, consumer: options.name, seq: msg.seq }, "message not finished at stop");
      } else {
        log.error({ err, consumer: options.name, seq: msg.seq }, "message handed back");
      }
      settle(msg, stopping ? HANDED_BACK : { action: "nak", delayMs: failureDelay(msg) });
    } finally {
      inFlight.delete(slot);
      slots.release(bytes);
      if (inFlight.size === 0) onIdle?.();
    }
  };

  // Resolved by stop(): a wait for the connection ends with it.
  let stopped = (): void => undefined;
  const stoppedWait = new Promise<void>((resolve) => (stopped = resolve));

  let first = true;
  const pump = (async () => {
    for await (const msg of messages) {
      if (first) {
        first = false;
        options.firstMessage?.();
      }
      if (stopping) {
        settle(msg, HANDED_BACK); // pulled but not started: hand it straight back
        continue;
      }
      const bytes = msg.data.length;
      const waiting = slots.acquire(bytes);
      if (waiting) {
        awaitingSlot = msg;
        await waiting;
        awaitingSlot = undefined;
      }
      if (link && !link.isConnected()) {
        awaitingSlot = msg;
        await Promise.race([link.connected(), stoppedWait]);
        awaitingSlot = undefined;
      }
      if (stopping) {
        slots.release(bytes);
        settle(msg, HANDED_BACK);
        continue;
      }
      void run(msg, inFlight.add(msg), bytes);
    }
  })().then(
    () => {
      if (!stopping) options.ended?.(undefined);
    },
    (err: unknown) => {
      // A loop that is told of its end is restarted by its owner, which says so.
      if (options.ended && !stopping) options.ended(err);
      else logLoopEnd(log, options.name, err);
    },
  );

  const unsentWrites = () => writes.size - (beatHeld ? 1 : 0);
  const sent = async () => {
    while (link && unsentWrites() > 0) {
      await link.connected();
      writes.flush();
    }
  };
  /** At a stop: what waits for NATS leaves if it is back within the grace period. */
  const sendOnceBack = async () => {
    const { grace } = options;
    const unsent = unsentWrites();
    if (!link || link.isConnected() || unsent === 0 || !grace || grace.aborted) return;
    log.info(
      { consumer: options.name, unsent },
      "NATS is down: waiting for it to send acknowledgements and hand-backs, " +
        "until the grace period ends",
    );
    await Promise.race([sent(), aborted(grace)]);
  };

  /** A stop gave up waiting: what is left comes back after the ack wait, told once here. */
  const abandon = () => {
    abandoned = true;
    const unfinished = inFlight.size;
    const unsent = unsentWrites();
    if (unfinished + unsent === 0) return;
    log.warn(
      { consumer: options.name, unfinished, unsent },
      "stopping without NATS: messages not finished, acknowledgements and hand-backs not " +
        "sent; their messages come back after the ack wait",
    );
  };

  const idle = () =>
    inFlight.size === 0 ? Promise.resolve() : new Promise<void>((r) => (onIdle = r));

  // A source may end on its own (a parked backlog read to the end): the loop then tidies up.
  const finished = pump.then(idle).then(() => {
    writes.flush();
    clearInterval(heartbeat);
  });

  return {
    done: () => finished,
    sent,
    async stop() {
      stopping = true;
      closedAt ??= Date.now();
      stopped();
      const { givenUp } = options;
      if (givenUp?.aborted) abandon();
      givenUp?.addEventListener("abort", abandon, { once: true });
      try {
        // Drained, not only closed: what the server sent meanwhile is handed back (end-pull.ts).
        await endPull(messages);
      } catch (err) {
        // Nothing more will be pulled either way; what was pulled is still handled.
        if (!abandoned) {
          log.warn({ err, consumer: options.name }, "cannot close the pull subscription cleanly");
        }
      }
      await finished;
      givenUp?.removeEventListener("abort", abandon);
      if (abandoned) return;
      await sendOnceBack();
      const unsent = unsentWrites();
      if (unsent > 0) {
        // The connection closes next: NATS delivers these messages again after the ack wait.
        log.warn(
          { consumer: options.name, unsent },
          "NATS is down: acknowledgements and hand-backs not sent; " +
            "their messages come back after the ack wait",
        );
      }
    },
  };
}
