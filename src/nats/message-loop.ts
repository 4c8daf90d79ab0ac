/**
 * The running loop behind startConsumerLoop (consumer-loop.ts): pulls, starts handlers
 * within the slots, keeps messages in progress alive, settles them, and stops.
 *
 * A message handed back after the loop stopped pulling must not meet the loop's own pull
 * requests. Closing the iterator only unsubscribes on the client: the
 * server keeps the pull requests until they expire. nats-server 2.9 redelivering a naked
 * message while such a stale request is the only one waiting drops the request and
 * mishandles the message: that message comes back only after the ack wait, and the last
 * message delivered to the consumer is delivered again as new (seen: the same event sent
 * twice 1 ms apart after a restart). So a stop has the server drop them (stale-pulls.ts):
 * hand-backs are held until it has, then go with no delay, to a replica still running in a
 * rolling update. Without its answer, they are naked with a delay that outlasts the stale
 * requests: a naked message then waits for the next live pull request.
 */
import type { JsMsg } from "@nats-io/jetstream";
import { doublingDelayMs } from "../backoff.js";
import { SlotSet } from "../delivery/concurrency/slot-set.js";
import { aborted, withDeadline } from "../lifecycle.js";
import type { ConsumerLoop, ConsumerLoopOptions } from "./consumer-loop.js";
import { endPull, pullInbox } from "./end-pull.js";
import { createHeldWrites, type HeldWrites } from "./held-writes.js";
import { PULL_EXPIRES_MS } from "./pull-size.js";
import { logLoopEnd } from "./loop-end.js";
import { HANDED_BACK, type Settle } from "./settle.js";
import { clearStalePulls } from "./stale-pulls.js";
import { StoreFailedError } from "./store-failure.js";

// Acks are held for a few milliseconds and leave together: at 1,000 events/s that is one
// socket write per ten acks instead of one per ack. Nothing waits for an ack; a crash
// within the hold only means those messages come back (at least once, as for any crash).
const ACK_HOLD_MS = 10;

/** Margin past the expiry for the server to have removed the expired request. */
const EXPIRY_MARGIN_MS = 1_000;

/** How often messages in progress are kept alive: three times per ack wait. */
export function heartbeatEveryMs(ackWaitMs: number): number {
  return Math.max(250, Math.floor(ackWaitMs / 3));
}

/** Delay before a message whose handler failed (e.g. NATS could not store a record) comes back. */
function failureDelay(msg: JsMsg): number {
  return doublingDelayMs(msg.info.deliveryCount, 500, 30_000);
}

function nakAfter(msg: JsMsg, delayMs: number) {
  if (delayMs > 0) msg.nak(Math.ceil(delayMs));
  else msg.nak();
}

export class MessageLoop implements ConsumerLoop {
  readonly #options: ConsumerLoopOptions;
  // Slots, not a Set: a message comes in and one goes out for every event (delivery/concurrency/slot-set.ts).
  readonly #inFlight = new SlotSet<JsMsg>();
  readonly #writes: HeldWrites;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #finished: Promise<void>;
  #stopping = false;
  // When the loop stopped pulling: its pull requests stay on the server until they expire.
  #closedAt: number | undefined;
  // Set once the server has dropped them (stale-pulls.ts): hand-backs need no delay then.
  #staleCleared = false;
  // Hand-backs at a stop, held while the server is asked to drop the stale pull requests.
  #heldBacks: { msg: JsMsg; delayMs: number }[] | undefined;
  #stop: Promise<void> | undefined;
  // Set once the source has ended, to learn when the last handler has.
  #onIdle: (() => void) | undefined;
  // The message the loop waits a slot for is kept alive too: spare slots
  // (delivery/concurrency/intake.ts) bound that wait for events, but parked deliveries may
  // wait for the spares longer.
  #awaitingSlot: JsMsg | undefined;
  // Heartbeats go out with the acks; one round at most waits for a connection that is down.
  #beatHeld = false;
  // Set once a stop gave up on this loop and said what it left: the rest ends unlogged.
  #abandoned = false;
  // Resolved by stop(): a wait for the connection ends with it.
  #stopped: () => void = () => undefined;
  readonly #stoppedWait: Promise<void>;

  constructor(options: ConsumerLoopOptions) {
    this.#options = options;
    this.#stoppedWait = new Promise<void>((resolve) => (this.#stopped = resolve));
    this.#writes = createHeldWrites({ holdMs: ACK_HOLD_MS, link: options.link });
    this.#heartbeat = setInterval(() => this.#holdBeat(), heartbeatEveryMs(options.ackWaitMs));
    this.#heartbeat.unref();
    // A source may end on its own (a parked backlog read to the end): the loop then tidies up.
    this.#finished = this.#pump()
      .then(() => this.#idle())
      .then(() => {
        this.#writes.flush();
        clearInterval(this.#heartbeat);
      });
  }

  done(): Promise<void> {
    return this.#finished;
  }

  async sent(): Promise<void> {
    const { link } = this.#options;
    while (link && this.#unsentWrites() > 0) {
      await link.connected();
      this.#writes.flush();
    }
  }

  stop(): Promise<void> {
    this.#stop ??= this.#stopOnce();
    return this.#stop;
  }

  async #stopOnce(): Promise<void> {
    const { givenUp, log, name, messages } = this.#options;
    this.#stopping = true;
    this.#closedAt = Date.now();
    this.#stopped();
    if (givenUp?.aborted) this.#abandon();
    givenUp?.addEventListener("abort", this.#abandon, { once: true });
    const inbox = pullInbox(messages);
    if (inbox && this.#options.stalePulls) this.#heldBacks = [];
    try {
      // Drained, not only closed: what the server sent meanwhile is handed back (end-pull.ts).
      await endPull(messages);
    } catch (err) {
      // Nothing more will be pulled either way; what was pulled is still handled.
      if (!this.#abandoned) {
        log.warn({ err, consumer: name }, "cannot close the pull subscription cleanly");
      }
    }
    const cleared = this.#clearStalePulls(inbox);
    await this.#finished;
    await cleared;
    givenUp?.removeEventListener("abort", this.#abandon);
    if (this.#abandoned) return;
    await this.#sendOnceBack();
    const unsent = this.#unsentWrites();
    if (unsent > 0) {
      // The connection closes next: NATS delivers these messages again after the ack wait.
      log.warn(
        { consumer: name, unsent },
        "NATS is down: acknowledgements and hand-backs not sent; " +
          "their messages come back after the ack wait",
      );
    }
  }

  /**
   * Has the server drop the pull requests left open by the subscription just ended, then
   * sends the hand-backs held meanwhile: with no delay once it has.
   */
  #clearStalePulls(inbox: string | undefined): Promise<unknown> {
    const { stalePulls, link, ackWaitMs } = this.#options;
    if (!stalePulls || !inbox || (link && !link.isConnected())) {
      this.#releaseHandBacks();
      return Promise.resolve();
    }
    const clearing = clearStalePulls({ ...stalePulls, inbox }).then((cleared) => {
      this.#staleCleared = cleared;
    });
    // Held longer than a heartbeat's interval, a hand-back could meet its ack wait.
    const released = withDeadline(clearing, heartbeatEveryMs(ackWaitMs)).then(() =>
      this.#releaseHandBacks(),
    );
    return Promise.all([clearing, released]);
  }

  #releaseHandBacks(): void {
    const held = this.#heldBacks ?? [];
    this.#heldBacks = undefined;
    for (const { msg, delayMs } of held) this.#settle(msg, { action: "nak", delayMs });
    // Now, not after the hold: the stop ends next, and the connection closes after it.
    this.#writes.flush();
  }

  async #pump(): Promise<void> {
    const { ended, log, name } = this.#options;
    try {
      await this.#takeAll();
    } catch (err) {
      // A loop that is told of its end is restarted by its owner, which says so.
      if (ended && !this.#stopping) ended(err);
      else logLoopEnd(log, name, err);
      return;
    }
    if (!this.#stopping) ended?.(undefined);
  }

  async #takeAll(): Promise<void> {
    const { messages, slots } = this.#options;
    let first = true;
    for await (const msg of messages) {
      if (first) {
        first = false;
        this.#options.firstMessage?.();
      }
      if (this.#stopping) {
        this.#settle(msg, HANDED_BACK); // pulled but not started: hand it straight back
        continue;
      }
      const bytes = msg.data.length;
      const waiting = slots.acquire(bytes);
      if (waiting || !this.#connected()) await this.#waitToStart(msg, waiting);
      if (this.#stopping) {
        slots.release(bytes);
        this.#settle(msg, HANDED_BACK);
        continue;
      }
      void this.#run(msg, this.#inFlight.add(msg), bytes);
    }
  }

  #connected(): boolean {
    const { link } = this.#options;
    return !link || link.isConnected();
  }

  /** Waits for the slot, then for the connection (or the stop), keeping the message alive. */
  async #waitToStart(msg: JsMsg, slotFreed: Promise<void> | undefined): Promise<void> {
    const { link } = this.#options;
    this.#awaitingSlot = msg;
    if (slotFreed) await slotFreed;
    if (link && !link.isConnected()) await Promise.race([link.connected(), this.#stoppedWait]);
    this.#awaitingSlot = undefined;
  }

  async #run(msg: JsMsg, slot: number, bytes: number): Promise<void> {
    try {
      this.#settle(msg, await this.#options.handle(msg));
    } catch (err) {
      this.#reportFailure(msg, err);
      this.#settle(
        msg,
        this.#stopping ? HANDED_BACK : { action: "nak", delayMs: failureDelay(msg) },
      );
    } finally {
      this.#inFlight.delete(slot);
      this.#options.slots.release(bytes);
      if (this.#inFlight.size === 0) this.#onIdle?.();
    }
  }

  #reportFailure(msg: JsMsg, err: unknown): void {
    const { storeFailures, log, name } = this.#options;
    if (this.#abandoned) {
      // Counted in the stop's warning; its message comes back after the ack wait.
    } else if (err instanceof StoreFailedError && storeFailures) {
      // At a stop too: with JetStream full, each message in progress ends so.
      storeFailures.handedBack(err, { consumer: name, seq: msg.seq });
    } else if (this.#stopping) {
      // NATS down at shutdown, typically: the hand-back may not reach it either.
      log.warn({ err, consumer: name, seq: msg.seq }, "message not finished at stop");
    } else {
      log.error({ err, consumer: name, seq: msg.seq }, "message handed back");
    }
  }

  #settle(msg: JsMsg, result: Settle): void {
    if (result.action === "nak" && this.#heldBacks) {
      this.#heldBacks.push({ msg, delayMs: result.delayMs });
      return;
    }
    this.#writes.add(() => {
      try {
        if (result.action === "ack") msg.ack();
        else nakAfter(msg, Math.max(result.delayMs, this.#staleRequestsLeftMs()));
      } catch (err) {
        // The connection closed (a stop that gave up waiting): the message comes back
        // after the ack wait, as after a crash.
        if (!this.#abandoned) {
          this.#options.log.warn(
            { err, consumer: this.#options.name, seq: msg.seq },
            "cannot settle a message",
          );
        }
      }
    });
  }

  /** Until then, a naked message could meet this loop's stale pull requests (see above). */
  #staleRequestsLeftMs(): number {
    return this.#closedAt === undefined || this.#staleCleared
      ? 0
      : this.#closedAt + PULL_EXPIRES_MS + EXPIRY_MARGIN_MS - Date.now();
  }

  #holdBeat(): void {
    if (this.#beatHeld) return;
    this.#beatHeld = true;
    this.#writes.add(this.#beat);
  }

  readonly #beat = (): void => {
    this.#beatHeld = false;
    for (const msg of this.#inFlight) msg.working();
    this.#awaitingSlot?.working();
    for (const { msg } of this.#heldBacks ?? []) msg.working();
  };

  #unsentWrites(): number {
    return this.#writes.size - (this.#beatHeld ? 1 : 0);
  }

  /** At a stop: what waits for NATS leaves if it is back within the grace period. */
  async #sendOnceBack(): Promise<void> {
    const { grace, link, log, name } = this.#options;
    const unsent = this.#unsentWrites();
    if (!link || link.isConnected() || unsent === 0 || !grace || grace.aborted) return;
    log.info(
      { consumer: name, unsent },
      "NATS is down: waiting for it to send acknowledgements and hand-backs, " +
        "until the grace period ends",
    );
    await Promise.race([this.sent(), aborted(grace)]);
  }

  /** A stop gave up waiting: what is left comes back after the ack wait, told once here. */
  readonly #abandon = (): void => {
    this.#abandoned = true;
    const unfinished = this.#inFlight.size;
    const unsent = this.#unsentWrites();
    if (unfinished + unsent === 0) return;
    this.#options.log.warn(
      { consumer: this.#options.name, unfinished, unsent },
      "stopping without NATS: messages not finished, acknowledgements and hand-backs not " +
        "sent; their messages come back after the ack wait",
    );
  };

  #idle(): Promise<void> {
    return this.#inFlight.size === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => (this.#onIdle = resolve));
  }
}
