/**
 * Where a loop's pulls are bounded by count (pull-size.ts: nats-server before 2.10, or
 * `--max-in-flight` under 25), `batch` messages at once are safe while `batch` times the
 * largest of them stays within the loop's share of `max_pending`. hookswitch tells the
 * operator from the first message large enough to matter.
 */
import { BYTES_PULL_MIN_IN_FLIGHT, MESSAGES_PER_PLACE, PULL_BYTES } from "./pull-size.js";

/** The size above which `batch` messages at once could take more than a loop's share of `max_pending`. */
export function largeMessageBytes(batch: number): number {
  return Math.floor(PULL_BYTES / batch);
}

/**
 * The largest `--max-in-flight` whose pulls (`MESSAGES_PER_PLACE` per place, see `pullBatch`) of
 * messages this large stay under that share; at least 1.
 */
export function maxInFlightFor(messageBytes: number): number {
  return Math.max(1, Math.floor(PULL_BYTES / (MESSAGES_PER_PLACE * messageBytes)));
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
    `${maxInFlightFor(where.bytes)} or less; from nats-server 2.10 on, with --max-in-flight ` +
    `${BYTES_PULL_MIN_IN_FLIGHT} or more, hookswitch bounds its pulls by bytes instead ` +
    `(operating.md, "Large events")`
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
