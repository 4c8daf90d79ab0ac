/**
 * NATS writes held back so that many leave in one socket write. The client flushes what
 * was written in one synchronous stretch in one write; writes made one by one, as each
 * handler reaches them, would each be a write (and a wake-up of nats-server) of their own.
 * On this path a write costs 50–130 µs, more than handling an event.
 *
 * While the connection is down the writes wait for it: the client throws nothing then, and
 * drops what it was given when it connects again. An ack dropped so makes NATS deliver its
 * message again after the ack wait, a webhook sent twice; the same ack written once the
 * connection is back counts (the server takes acks of a delivery made before the break).
 * Hand-backs wait too. After an outage longer than the ack wait, NATS has sent those
 * messages again already; the server takes an ack or a hand-back by the message, not by its
 * delivery, so a late hand-back may bring one once more (at least once, as before).
 */
import type { NatsLink } from "./connection.js";

export interface HeldWrites {
  /** Runs `write` with every other write added before the hold ends; it must not throw. */
  add(write: () => void): void;
  /**
   * Runs what is held now (shutdown: nothing may wait for a hold that never ends); while
   * the connection is down, once it is back.
   */
  flush(): void;
  /** Runs what is held now, the connection up or not (its writes know it will not be back). */
  release(): void;
  /** Writes held now. */
  readonly size: number;
}

/**
 * `holdMs` 0 holds writes until the end of the event-loop turn; more holds them for that
 * long after the first one, so that those of several turns leave together. Without `link`
 * the connection counts as up.
 */
export function createHeldWrites(options: { holdMs: number; link?: NatsLink }): HeldWrites {
  const { link } = options;
  let held: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let awaitingLink = false;
  const release = () => {
    clearTimeout(timer);
    timer = undefined;
    const writes = held;
    held = [];
    runEach(writes);
  };
  const flush = () => {
    if (link && !link.isConnected()) {
      clearTimeout(timer);
      timer = undefined;
      if (!awaitingLink) {
        awaitingLink = true;
        void link.connected().then(() => {
          awaitingLink = false;
          flush();
        });
      }
      return;
    }
    release();
  };
  const schedule =
    options.holdMs > 0
      ? () => (timer = setTimeout(flush, options.holdMs))
      : () => setImmediate(flush);
  return {
    add(write) {
      if (held.push(write) === 1 && !awaitingLink) schedule();
    },
    flush,
    release,
    get size() {
      return held.length;
    },
  };
}

/**
 * Writes catch their own errors. One that throws is a fault, rethrown, but only once the
 * writes held with it have run: an acknowledgement left unwritten sends a webhook twice.
 */
function runEach(writes: (() => void)[]): void {
  let failure: { error: unknown } | undefined;
  for (const write of writes) {
    try {
      write();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}
