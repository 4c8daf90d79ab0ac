/**
 * NATS writes held until the end of the event-loop turn. The client flushes what was
 * written in one synchronous stretch in one socket write; writes made one by one, as each
 * handler reaches them, would each be a write (and a wake-up of nats-server) of their own.
 */
export interface TurnWrites {
  /** Runs `write` at the end of this turn, with every other write added in it. */
  add(write: () => void): void;
  /** Runs what is held now (shutdown: nothing may wait for a turn that never ends). */
  flush(): void;
}

export function createTurnWrites(): TurnWrites {
  let held: (() => void)[] = [];
  const flush = () => {
    const writes = held;
    held = [];
    for (const write of writes) write();
  };
  return {
    add(write) {
      if (held.push(write) === 1) setImmediate(flush);
    },
    flush,
  };
}
