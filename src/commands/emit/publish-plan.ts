/**
 * How `emit` publishes its events: through JetStream with up to PUBLISH_WINDOW acks awaited
 * at once, at a steady rate when asked, each event's id printed once the stream stored it.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import { NatsSetupError, coerceError } from "../../errors.js";
import { msgIdOf } from "../../nats/msg-id.js";
import { printable } from "../../output/printable.js";

/** One event to publish: its id (for Nats-Msg-Id and the output), subject and body. */
export interface Outgoing {
  id: string | undefined;
  subject: string;
  body: string | Uint8Array;
}

/** Acks awaited at once: fast for large counts, bounded in memory. */
const PUBLISH_WINDOW = 256;

export interface EmitPlan {
  count: number;
  rate: number | undefined;
  /** The i-th event to publish (0-based). */
  make(index: number): Outgoing;
}

type Settled = { id: string | undefined; error?: Error; duplicate?: boolean };

/** A publish awaiting its ack; `settled` is set as soon as the ack (or failure) comes. */
interface InFlight {
  settled: Settled | undefined;
  done: Promise<Settled>;
}

/**
 * Publishes the plan with up to PUBLISH_WINDOW acks awaited at once, printing each event's
 * id in order as soon as its ack is in (not a window later), so that stdout says what the
 * stream has stored. After a failure nothing more is published, the publishes in flight
 * are awaited and the stored ones printed, and the command then fails naming the first.
 */
export async function publishPlan(
  js: JetStreamClient,
  plan: EmitPlan,
  first: Outgoing,
  progress: { stored: number } = { stored: 0 },
): Promise<void> {
  const window: InFlight[] = [];
  const failed: Settled[] = [];
  // Runs as each ack comes, before anyone awaiting that publish resumes: the window's head
  // is then taken, with whatever behind it was acknowledged already.
  const takeSettled = () => {
    for (let head = window[0]; head?.settled; head = window[0]) {
      window.shift();
      if (head.settled.error) failed.push(head.settled);
      else {
        progress.stored++;
        report(head.settled);
      }
    }
  };
  const publish = (out: Outgoing) => {
    const item: InFlight = { settled: undefined, done: publishOne(js, out) };
    void item.done.then((settled) => {
      item.settled = settled;
      takeSettled();
    });
    window.push(item);
  };
  const started = Date.now();
  for (let i = 0; i < plan.count && failed.length === 0; i++) {
    if (plan.rate !== undefined) {
      await waitUntil(started + (i * 1000) / plan.rate);
      if (failed.length > 0) break; // a failure came while waiting for the event's turn
    }
    publish(i === 0 ? first : plan.make(i));
    if (window.length >= PUBLISH_WINDOW) await window[0]!.done;
  }
  while (window.length > 0) await window[0]!.done;
  const [firstFailure] = failed;
  if (firstFailure?.error) {
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more after it)` : "";
    throw new NatsSetupError(
      printable(
        `publishing event ${firstFailure.id ?? "(no id)"} failed${more}: ` +
          `${firstFailure.error.message}${storedTally(progress.stored, plan.count)}`,
      ),
      { cause: firstFailure.error },
    );
  }
}

/** How many of a run's events were stored, said when it fails; nothing for one event. */
export function storedTally(stored: number, count: number): string {
  // A publish that timed out may have been stored: "not known to be", not "not".
  return count > 1
    ? `; stored: ${stored} of ${count} events (their ids are printed), the other ` +
        `${count - stored} not, or not known to be`
    : "";
}

/**
 * Tries of one publish that times out or finds no stream answering, as when NATS restarts
 * under the run (the `run`'s outage limit bounds how long it may stay away). Only an event
 * with an id is published again: its `Nats-Msg-Id` makes the stream store it once.
 */
const PUBLISH_TRIES = 4;

/** Never rejects, so a failure waiting in the window is not an unhandled rejection. */
function publishOne(js: JetStreamClient, out: Outgoing): Promise<Settled> {
  const options = out.id === undefined ? {} : { msgID: msgIdOf(out.id), retries: PUBLISH_TRIES };
  return js.publish(out.subject, out.body, options).then(
    (ack) => ({ id: out.id, duplicate: ack.duplicate }),
    (err: unknown) => ({ id: out.id, error: coerceError(err) }),
  );
}

/** A stored event: its id on stdout, one line each, and a word if it was a duplicate. */
function report(settled: Settled): void {
  // An id from a file is the publisher's text: one line per id, nothing for the terminal.
  const id = printable(settled.id ?? "(no id)");
  process.stdout.write(`${id}\n`);
  if (settled.duplicate) {
    process.stderr.write(
      `event ${id} was published within the stream's duplicate window already: ` +
        `not stored again, so nothing more is delivered (give a new event a new id)\n`,
    );
  }
}

async function waitUntil(at: number): Promise<void> {
  const delay = at - Date.now();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
}
