/**
 * nats-server queues every message of a pull request for the connection at once, and cuts off
 * a client with more than `max_pending` bytes queued (64 MB unless configured) as a slow
 * consumer: the messages it had sent come again only after the ack wait. A consumer that asks
 * for `batch` messages at once is safe while `batch` times its largest message stays well
 * under that. The client cannot bound a pull by bytes and by count together, so hookswitch
 * tells the operator instead, from the first message large enough to matter.
 */

/** nats-server's default `max_pending`. */
const SERVER_MAX_PENDING = 64 * 1024 * 1024;
/**
 * Of `max_pending`, what the pulls of one consumer may fill: the events and the deliveries
 * consumers share one connection (parked deliveries are read through it too), so each gets
 * a third.
 */
const SHARE = 1 / 3;

/** The size above which `batch` messages at once could take more than a consumer's share of `max_pending`. */
export function largeMessageBytes(batch: number): number {
  return Math.floor((SERVER_MAX_PENDING * SHARE) / batch);
}

/**
 * The largest `--max-in-flight` whose pulls (4 messages per place, see `pullBatch`) of
 * messages this large stay under that share; at least 1.
 */
export function maxInFlightFor(messageBytes: number): number {
  return Math.max(1, Math.floor((SERVER_MAX_PENDING * SHARE) / (4 * messageBytes)));
}

export function largeMessageWarning(where: {
  stream: string;
  bytes: number;
  batch: number;
}): string {
  const kib = Math.ceil(where.bytes / 1024);
  return (
    `a message of ${kib} KiB came from ${where.stream}: hookswitch asks for ${where.batch} ` +
    `messages at once, and with both of its consumers reading ${where.batch} this large, ` +
    `nats-server's queue for the connection can pass its default max_pending (64 MiB), past ` +
    `which it disconnects hookswitch as a slow consumer. If such messages come in numbers, ` +
    `raise max_pending in nats-server's configuration, or run with --max-in-flight ` +
    `${maxInFlightFor(where.bytes)} or less (operating.md, "Large events")`
  );
}

/** Tells once, at the first message of a consumer large enough to matter. */
export class LargeMessageWatch {
  readonly #where: { stream: string; batch: number };
  readonly #warn: (message: string, bytes: number) => void;
  #above: number;

  constructor(
    where: { stream: string; batch: number },
    warn: (message: string, bytes: number) => void,
  ) {
    this.#where = where;
    this.#warn = warn;
    this.#above = largeMessageBytes(where.batch);
  }

  check(bytes: number): void {
    if (bytes <= this.#above) return;
    this.#above = Infinity;
    this.#warn(largeMessageWarning({ ...this.#where, bytes }), bytes);
  }
}
