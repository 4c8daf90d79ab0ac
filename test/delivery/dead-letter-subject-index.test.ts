/**
 * nats-server before 2.10 can lose track of where a subject's records start: after the
 * subject's newest record is removed, a purge of it bounded by sequence leaves the index past
 * the record that remains. Filtered reads and purges then pass that record by.
 */
import { jetstream, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { beforeEach, describe, expect, it } from "vitest";
import { createDeadLetterStore, type DeadLetterStore } from "../../src/delivery/dead-letters.js";
import { DEAD_LETTER_STREAM, deadLetterSubject } from "../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { deadLetter, listAll } from "../support/dead-letters.js";
import { useNatsWithClient } from "../support/nats-server.js";

let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

useNatsWithClient("dlq-subject-index", async (started) => {
  ({ nc, jsm } = started);
  js = jetstream(nc);
  await ensureHookswitchStreams(jsm);
});

beforeEach(async () => {
  await jsm.streams.purge(DEAD_LETTER_STREAM);
});

const storeFor = (serverVersion: string | undefined): DeadLetterStore =>
  createDeadLetterStore(js, jsm, { consumer: "hookswitch", serverVersion });

/** crm's newest record removed, then its oldest in `removeOldest`, then more stored. */
async function removeNewestThenOldest(
  store: DeadLetterStore,
  removeOldest: (oldest: number, kept: number) => Promise<unknown>,
): Promise<number[]> {
  const oldest = await store.add(deadLetter("crm"));
  await store.add(deadLetter("billing"));
  const kept = await store.add(deadLetter("crm"));
  await store.remove([await store.add(deadLetter("crm"))]);
  await removeOldest(oldest, kept);
  const later = await store.add(deadLetter("crm"));
  await store.add(deadLetter("billing"));
  return [kept, later, await store.add(deadLetter("crm"))];
}

describe("dead letters on a server whose subject index may be wrong", () => {
  it.each([
    ["removed by id, as `dlq replay` and `dlq purge ID` remove them", "by id"],
    ["purged by subject before a bound, as an earlier hookswitch purged", "by subject"],
  ])(
    "lists, counts and purges every record of an integration after the oldest was %s",
    async (_, how) => {
      const store = storeFor(nc.info?.version);
      const crm = await removeNewestThenOldest(store, (oldest, kept) =>
        how === "by id"
          ? store.remove([oldest])
          : jsm.streams.purge(DEAD_LETTER_STREAM, {
              filter: deadLetterSubject("hookswitch", "crm"),
              seq: kept,
            }),
      );
      expect((await listAll(store, { integration: "crm" })).map((r) => r.id)).toEqual(crm);
      expect(await store.count({ integration: "crm" })).toBe(3);
      expect(await store.purge({ integration: "crm" })).toBe(3);
      expect((await listAll(store)).map((r) => r.integration)).toEqual(["billing", "billing"]);
    },
  );
});

describe.each([
  ["a server that keeps its subject index (2.10.27), read by filter", "2.10.27"],
  ["an older server (2.9), read whole", "2.9.10"],
])("dead letters of one integration on %s", (_, serverVersion) => {
  it("lists and purges only that integration's records of this deployment, before the bound", async () => {
    const store = storeFor(serverVersion);
    const theirs = createDeadLetterStore(js, jsm, { consumer: "gitsync", serverVersion });
    const first = await store.add(deadLetter("crm"));
    await store.add(deadLetter("billing"));
    const other = await theirs.add(deadLetter("crm"));
    const second = await store.add(deadLetter("crm"));
    const bound = await store.nextId();
    const later = await store.add(deadLetter("crm"));
    expect((await listAll(store, { integration: "crm" })).map((r) => r.id)).toEqual([
      first,
      second,
      later,
    ]);
    expect(await store.purge({ integration: "crm", before: bound })).toBe(2);
    expect((await listAll(store, { integration: "crm" })).map((r) => r.id)).toEqual([later]);
    expect((await listAll(theirs)).map((r) => r.id)).toEqual([other]);
    expect(await store.purge({ all: true })).toBe(2);
    expect((await listAll(store)).map((r) => r.id)).toEqual([]);
    expect((await listAll(theirs)).map((r) => r.id)).toEqual([other]);
  });
});
