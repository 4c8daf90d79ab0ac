/**
 * The daemon tests that look at what a dead letter keeps: publish one event, then read the
 * queue through the CLI, as an operator would, until every integration has given up.
 */
import type { DeadLetterStore } from "../../src/delivery/dead-letters.js";
import type { ListedDeadLetter } from "../../src/delivery/records.js";
import { runCli } from "./cli.js";
import { connectPublisher, makeEvent } from "./daemon.js";
import { waitFor } from "./wait.js";

/** Publishes one event, then polls `dlq list --json` until it lists at least `count` records. */
export async function publishUntilDeadLetters<T>(
  natsUrl: string,
  count: number,
  what: string,
): Promise<T[]> {
  const publisher = await connectPublisher(natsUrl);
  await publisher.publish(makeEvent());
  await publisher.close();
  return waitFor(
    async () => {
      const listed = await runCli(["dlq", "list", "--json", "--nats", natsUrl]);
      const parsed = listed.code === 0 ? (JSON.parse(listed.stdout) as T[]) : [];
      return parsed.length >= count ? parsed : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 500, what },
  );
}

/** Everything a reading of the queue yields, held together: the queues of tests are small. */
export async function listAll(
  store: DeadLetterStore,
  filter?: { integration?: string },
): Promise<ListedDeadLetter[]> {
  return collect(store.read(filter));
}

/** The records with these ids, held together. */
export async function getAll(store: DeadLetterStore, ids: number[]): Promise<ListedDeadLetter[]> {
  return collect(store.readIds(ids));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
