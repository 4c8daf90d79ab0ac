import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { beforeEach, describe, expect, it } from "vitest";
import {
  fetchBatch,
  parseDeadLetterRecord,
  UNREADABLE_RECORD,
} from "../../src/delivery/dead-letter-list.js";
import { createDeadLetterStore } from "../../src/delivery/dead-letters.js";
import { type DeadLetterRecord } from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { useNatsWithClient } from "../support/nats-server.js";

const MIB = 1024 * 1024;

describe("how many records one fetch of the listing asks for", () => {
  it.each([
    [MIB, 8],
    [64 * MIB, 1],
    [8 * MIB, 1],
    [4 * MIB, 2],
    [64 * 1024, 128],
    [1024, 500],
    [0, 500],
  ])("with a max_payload of %i bytes: %i", (maxPayload, batch) => {
    expect(fetchBatch(maxPayload)).toBe(batch);
  });
});

let nc: NatsConnection;
let jsm: JetStreamManager;

useNatsWithClient("dlq-list-test", async (started) => {
  ({ nc, jsm } = started);
  await ensureHookswitchStreams(jsm);
});

beforeEach(async () => {
  await jsm.streams.purge(DEAD_LETTER_STREAM);
});

let serial = 0;

function deadLetter(): DeadLetterRecord {
  serial++;
  return {
    v: 1,
    integration: "crm",
    webhookId: `msg_${serial}`,
    eventId: `event-${serial}`,
    reason: "HTTP 410 is not retried",
    event: { id: `event-${serial}` },
    attempts: [{ at: "2026-11-28T17:00:00.000Z", status: 410 }],
    lastStatus: 410,
    lastError: null,
    lastResponseBody: "gone",
    firstAttemptAt: "2026-11-28T17:00:00.000Z",
    lastAttemptAt: "2026-11-28T17:00:00.000Z",
    deadAt: "2026-11-28T17:00:01.000Z",
  };
}

describe("reading the dead-letter queue", () => {
  it("yields no record stored after the reading started, whatever was removed meanwhile", async () => {
    // One record a fetch: the reading goes on only as it is asked for the next.
    const store = createDeadLetterStore(jetstream(nc), jsm, {
      consumer: "hookswitch",
      maxPayload: () => 8 * MIB,
    });
    const before: number[] = [];
    for (let i = 0; i < 5; i++) before.push(await store.add(deadLetter()));
    const read: number[] = [];
    for await (const record of store.read()) {
      read.push(record.id);
      if (read.length > 1) continue;
      // A replay removes what it read, and a replay dead-lettered again comes back as new.
      expect(await store.remove(before.slice(2))).toEqual(before.slice(2));
      for (let i = 0; i < 5; i++) await store.add(deadLetter());
    }
    expect(read).toEqual(before.slice(0, 2));
  });

  it("reads records by id a few at a time, in the order asked, leaving out those not there", async () => {
    const store = createDeadLetterStore(jetstream(nc), jsm, {
      consumer: "hookswitch",
      maxPayload: () => 4 * MIB,
    });
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await store.add(deadLetter()));
    const id = (n: number) => ids[n] ?? 0;
    const read: number[] = [];
    for await (const record of store.readIds([id(6), 9_999, id(0), id(3), id(0), id(5)])) {
      read.push(record.id);
    }
    expect(read).toEqual([id(6), id(0), id(3), id(5)]);
  });

  it("says whether records of deliveries are there, apart from whole events", async () => {
    const store = createDeadLetterStore(jetstream(nc), jsm, { consumer: "hookswitch" });
    expect(await store.holdsDeliveries()).toBe(false);
    await store.add({ ...deadLetter(), integration: null, webhookId: null });
    expect(await store.holdsDeliveries()).toBe(false);
    expect(await store.holdsDeliveries({ integration: "_invalid" })).toBe(false);
    await store.add(deadLetter());
    expect(await store.holdsDeliveries()).toBe(true);
    expect(await store.holdsDeliveries({ integration: "crm" })).toBe(true);
    expect(await store.holdsDeliveries({ integration: "billing" })).toBe(false);
  });
});

describe("a stored record read back", () => {
  const record = (): Record<string, unknown> => ({ ...deadLetter() });
  const without = (key: string) => {
    const r = record();
    delete r[key];
    return r;
  };
  const withField = (key: string, value: unknown) => ({ ...record(), [key]: value });

  it.each<[string, unknown]>([
    ["a record as hookswitch writes it", record()],
    ["one replayed and cut", { ...record(), replays: 2, cut: ["request.body"], subject: "pbx.a" }],
    ["a whole event's", { ...record(), integration: null, webhookId: null, lastStatus: null }],
  ])("is %s: read as it is", (_what, stored) => {
    expect(parseDeadLetterRecord(JSON.stringify(stored), "hookswitch.dlq.hookswitch.crm")).toEqual(
      stored,
    );
  });

  it.each<[string, unknown]>([
    ["not JSON", "{"],
    ["another version", withField("v", 2)],
    ["a list", [record()]],
    ["without its reason", without("reason")],
    ["without its attempts", without("attempts")],
    ["without its event", without("event")],
    ["without its webhook id", without("webhookId")],
    ["with attempts that are no list", withField("attempts", 3)],
    ["with a status that is text", withField("lastStatus", "410")],
    ["with an integration that is a number", withField("integration", 7)],
    ["with replays that are text", withField("replays", "1")],
    ["with a cut that is text", withField("cut", "event")],
  ])("is unreadable when %s, and listed as such with its text", (_what, stored) => {
    const text = typeof stored === "string" ? stored : JSON.stringify(stored);
    const read = parseDeadLetterRecord(text, "hookswitch.dlq.hookswitch.crm");
    expect(read).toMatchObject({ reason: UNREADABLE_RECORD, event: text, integration: "crm" });
  });
});
