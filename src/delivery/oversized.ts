/**
 * Events larger than `--max-event-size`. Memory follows the size of the events in progress
 * (each is parsed, rendered once per matching integration, and kept in records): a replica
 * sized for PBX events, about a kilobyte, ran out of memory again and again on a backlog of
 * events of 960 KB. Such an event is not delivered but dead-lettered whole, so that it can be
 * replayed once the limit is raised; and one at a time, so that a backlog of them holds no
 * more than one parsed.
 */
import { formatSize } from "../config/sizes.js";
import { parseEvent } from "../events/parse.js";
import { invalidEvent, oversizedEvent, type Unroutable } from "./unroutable.js";

/** The default: 64 times a large PBX event, and 256 of them fit a pull well within NATS's limits. */
export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;

/** Runs the tasks given to it one after another, in the order given. */
export class OneAtATime {
  #last: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#last.then(task, task);
    this.#last = next.catch(() => undefined);
    return next;
  }
}

/** The event as its dead letter keeps it (whole, parsed when it parses), and why. */
export function oversizedDeadLetter(
  data: Uint8Array,
  maxEventBytes: number,
): { why: Unroutable; event: unknown } {
  const parsed = parseEvent(data);
  const size = `event of ${data.byteLength} bytes is larger than --max-event-size (${formatSize(maxEventBytes)})`;
  if (!parsed.ok) return { why: invalidEvent(`${size}, and ${parsed.reason}`), event: parsed.raw };
  const advice =
    "not delivered; to deliver events this large, raise --max-event-size (and the replica's " +
    "memory: see the operating guide), then replay it with `hookswitch dlq replay`";
  return { why: oversizedEvent(`${size}: ${advice}`), event: parsed.raw };
}
