/**
 * The daemon tests that look at what a dead letter keeps: publish one event, then read the
 * queue through the CLI, as an operator would, until every integration has given up.
 */
import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import { beforeEach } from "vitest";
import { createDeadLetterStore, type DeadLetterStore } from "../../src/delivery/dead-letters.js";
import {
  unroutedDeadLetter,
  type DeadLetterRecord,
  type ListedDeadLetter,
} from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "../../src/nats/layout.js";
import {
  DELIVERY_CONSUMER_DEFAULTS,
  deliveryConsumerConfig,
} from "../../src/nats/durable-consumers.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { useNatsWithClient, type NatsWithClient } from "./nats-server.js";
import { runCli } from "./cli.js";
import { connectPublisher, makeEvent } from "./daemon.js";
import { waitFor } from "./wait.js";

let serial = 0;

/** A dead letter of `integration` (null: a whole event), each with ids of its own. */
export function deadLetter(integration: string | null): DeadLetterRecord {
  serial++;
  const at = "2026-11-28T17:00:00.000Z";
  return {
    ...unroutedDeadLetter({ reason: "HTTP 410", event: { id: `event-${serial}` }, deadAt: at }),
    integration,
    webhookId: integration === null ? null : `msg_${serial}`,
    attempts: integration === null ? [] : [{ at, status: 410 }],
  };
}

/** What `dlq list --json` lists now, as an operator runs it (an empty list if it fails). */
export async function listedByCli<T = ListedDeadLetter>(
  natsUrl: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<T[]> {
  const listed = await runCli(
    ["dlq", "list", "--json", "--nats", natsUrl, ...(options.args ?? [])],
    {
      env: options.env ?? {},
    },
  );
  return listed.code === 0 ? (JSON.parse(listed.stdout) as T[]) : [];
}

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
      const parsed = await listedByCli<T>(natsUrl);
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

/**
 * hookswitch's streams and the deliveries consumer that a daemon run with the default
 * --consumer leaves: again after a test removed them.
 */
export async function ensureDaemonLeftovers(jsm: JetStreamManager): Promise<void> {
  await ensureHookswitchStreams(jsm);
  await jsm.consumers.add(
    DELIVERY_STREAM,
    deliveryConsumerConfig({
      consumer: "hookswitch",
      ...DELIVERY_CONSUMER_DEFAULTS,
      ackWaitMs: 30_000,
    }),
  );
}

/**
 * One server for the test file with hookswitch's streams and the deliveries consumer that a
 * daemon run with the default --consumer leaves (replays are for its daemons), handed to
 * `ready` with a store on it; both streams are emptied before each test.
 */
export function useDeadLetterQueue(
  name: string,
  ready: (queue: NatsWithClient & { store: DeadLetterStore }) => void,
): void {
  let started: NatsWithClient | undefined;
  useNatsWithClient(name, async (nats) => {
    started = nats;
    await ensureDaemonLeftovers(nats.jsm);
    ready({
      ...nats,
      store: createDeadLetterStore(jetstream(nats.nc), nats.jsm, { consumer: "hookswitch" }),
    });
  });
  beforeEach(async () => {
    await started?.jsm.streams.purge(DEAD_LETTER_STREAM);
    await started?.jsm.streams.purge(DELIVERY_STREAM);
  });
}
