import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { KEPT_EVENT_CHARS } from "../../src/delivery/dead-letter-size.js";
import { createDeadLetterStore, type DeadLetterStore } from "../../src/delivery/dead-letters.js";
import { type DeadLetterRecord } from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { NoStreamError } from "../../src/errors.js";
import { isMissingResource } from "../../src/nats/recovery.js";
import { createStoredPublisher } from "../../src/nats/stored-publish.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { listAll, getAll } from "../support/dead-letters.js";

let nc: NatsConnection;
let jsm: JetStreamManager;
let store: DeadLetterStore;

useNatsWithClient("dlq-test", async (started) => {
  ({ nc, jsm } = started);
  await ensureHookswitchStreams(jsm);
  store = createDeadLetterStore(jetstream(nc), jsm, {
    consumer: "hookswitch",
    serverVersion: nc.info?.version,
  });
});

beforeEach(async () => {
  await jsm.streams.purge(DEAD_LETTER_STREAM);
});

let serial = 0;

function deadLetter(
  integration: string | null,
  overrides: Partial<DeadLetterRecord> = {},
): DeadLetterRecord {
  serial++;
  return {
    v: 1,
    integration,
    webhookId: integration === null ? null : `msg_${serial}`,
    eventId: `event-${serial}`,
    reason: integration === null ? "not valid JSON" : "HTTP 410 is not retried",
    event: { id: `event-${serial}` },
    attempts: integration === null ? [] : [{ at: "2026-11-28T17:00:00.000Z", status: 410 }],
    lastStatus: integration === null ? null : 410,
    lastError: null,
    lastResponseBody: integration === null ? null : "gone",
    firstAttemptAt: integration === null ? null : "2026-11-28T17:00:00.000Z",
    lastAttemptAt: integration === null ? null : "2026-11-28T17:00:00.000Z",
    deadAt: "2026-11-28T17:00:01.000Z",
    ...overrides,
  };
}

describe("the dead-letter store", () => {
  it("keeps what it is given and lists it with ids, oldest first", async () => {
    const crm = deadLetter("crm");
    const invalid = deadLetter(null);
    const first = await store.add(crm);
    const second = await store.add(invalid);
    expect(second).toBeGreaterThan(first);
    expect(await listAll(store)).toEqual([
      { ...crm, id: first },
      { ...invalid, id: second },
    ]);
    expect(await store.count()).toBe(2);
  });

  it("lists one integration's dead letters", async () => {
    await store.add(deadLetter("crm"));
    const billing = await store.add(deadLetter("billing"));
    await store.add(deadLetter("crm-two"));
    const listed = await listAll(store, { integration: "billing" });
    expect(listed.map((r) => [r.id, r.integration])).toEqual([[billing, "billing"]]);
    expect(await listAll(store, { integration: "nobody" })).toEqual([]);
  });

  it("stores a republish of the same dead-lettering once, but a later one again", async () => {
    const record = deadLetter("crm");
    const id = await store.add(record);
    expect(await store.add(record)).toBe(id);
    const afterReplay = { ...record, replays: 1, lastAttemptAt: "2026-11-28T18:00:00.000Z" };
    expect(await store.add(afterReplay)).toBeGreaterThan(id);
    const afterAnotherRetry = {
      ...record,
      attempts: [...record.attempts, { at: "2026-11-28T17:01:00.000Z", status: 503 }],
    };
    expect(await store.add(afterAnotherRetry)).toBeGreaterThan(id);
    expect(await store.count()).toBe(3);
  });

  it("stores the same delivery once when its message came back and it was attempted again", async () => {
    // As after a NATS restart that lost the event's acknowledgement: the same attempts so
    // far, at other times.
    const record = deadLetter("crm");
    const id = await store.add(record);
    const again = {
      ...record,
      attempts: [{ at: "2026-11-28T17:00:30.000Z", status: 410 }],
      firstAttemptAt: "2026-11-28T17:00:30.000Z",
      lastAttemptAt: "2026-11-28T17:00:30.000Z",
      deadAt: "2026-11-28T17:00:30.100Z",
    };
    expect(await store.add(again)).toBe(id);
    expect(await store.count()).toBe(1);
  });

  it("gets records by id, leaving out ids that are not there", async () => {
    const a = await store.add(deadLetter("crm"));
    const b = await store.add(deadLetter("crm"));
    const got = await getAll(store, [b, 9_999, a, a]);
    expect(got.map((r) => r.id).sort()).toEqual([a, b].sort());
  });

  it("removes records by id and reports which ones were there", async () => {
    const a = await store.add(deadLetter("crm"));
    const b = await store.add(deadLetter("crm"));
    expect(await store.remove([a, 9_999])).toEqual([a]);
    expect((await listAll(store)).map((r) => r.id)).toEqual([b]);
    expect(await store.remove([a])).toEqual([]);
  });

  it("goes on past an id removed before, between records still there", async () => {
    const [a, b, c] = [
      await store.add(deadLetter("crm")),
      await store.add(deadLetter("crm")),
      await store.add(deadLetter("crm")),
    ];
    expect(await store.remove([b])).toEqual([b]);
    // The server answers a removed sequence inside the stream differently from one past it.
    expect(await store.remove([b, a, 9_999])).toEqual([a]);
    expect((await listAll(store)).map((r) => r.id)).toEqual([c]);
  });

  it("purges one integration or everything, and says how many", async () => {
    await store.add(deadLetter("crm"));
    await store.add(deadLetter("crm"));
    await store.add(deadLetter("billing"));
    await store.add(deadLetter(null));
    expect(await store.purge({ integration: "crm" })).toBe(2);
    expect((await listAll(store)).map((r) => r.integration)).toEqual(["billing", null]);
    expect(await store.purge({ all: true })).toBe(2);
    expect(await store.count()).toBe(0);
  });

  it("refuses a purge that names neither an integration nor all, removing nothing", async () => {
    await store.add(deadLetter("crm"));
    await store.add(deadLetter(null));
    await expect(store.purge({})).rejects.toThrow(/needs an integration or all/);
    await expect(store.purge({ before: await store.nextId() })).rejects.toThrow();
    expect(await store.count()).toBe(2);
  });

  it("counts one integration's records, and purges only those stored before the id it was given", async () => {
    await store.add(deadLetter("crm"));
    await store.add(deadLetter("billing"));
    expect(await store.count({ integration: "crm" })).toBe(1);
    const before = await store.nextId();
    // Stored after an operator was shown what the purge removes.
    const later = [await store.add(deadLetter("crm")), await store.add(deadLetter("billing"))];
    expect(later[0]).toBeGreaterThanOrEqual(before);
    expect(await store.purge({ integration: "crm", before })).toBe(1);
    expect(await store.purge({ all: true, before })).toBe(1);
    expect((await listAll(store)).map((r) => r.id)).toEqual(later);
  });

  it("lists ten thousand records within seconds", async () => {
    const pending: Promise<number>[] = [];
    for (let i = 0; i < 10_000; i++)
      pending.push(store.add(deadLetter(i % 10 === 0 ? "rare" : "crm")));
    await Promise.all(pending);
    const started = Date.now();
    const all = await listAll(store);
    const rare = await listAll(store, { integration: "rare" });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(all).toHaveLength(10_000);
    expect(new Set(all.map((r) => r.id)).size).toBe(10_000);
    expect(rare).toHaveLength(1_000);
  }, 60_000);

  it("lists every record however long the listing takes, not only those read in 30 s", async () => {
    const pending: Promise<number>[] = [];
    for (let i = 0; i < 1_200; i++) pending.push(store.add(deadLetter("crm")));
    await Promise.all(pending);
    // A minute passes at every look at the clock: big records (900 KB each) list slowly.
    let now = Date.now();
    const clock = vi.spyOn(Date, "now").mockImplementation(() => (now += 60_000));
    try {
      expect(await listAll(store)).toHaveLength(1_200);
    } finally {
      clock.mockRestore();
    }
  });

  it("shows a record it cannot read instead of failing the listing", async () => {
    await jetstream(nc).publish("hookswitch.dlq.crm", "not json");
    // Ours by its version, but without the fields a record holds.
    await jetstream(nc).publish("hookswitch.dlq.crm", '{"v":1,"integration":"crm"}');
    const listed = await listAll(store);
    expect(listed).toMatchObject(
      ["not json", '{"v":1,"integration":"crm"}'].map((event) => ({
        integration: "crm",
        reason: "unreadable dead-letter record",
        event,
      })),
    );
  });

  it("says the stream is missing when it was deleted, as a missing resource", async () => {
    await jsm.streams.delete(DEAD_LETTER_STREAM);
    try {
      const failed = await store.add(deadLetter("crm")).catch((err: unknown) => err);
      // Not the client's "jetstream is not enabled": the stream and the subject.
      expect(failed).toBeInstanceOf(NoStreamError);
      expect(String(failed)).toMatch(
        /stream HOOKSWITCH_DLQ does not exist: nothing stores hookswitch\.dlq\.hookswitch\.crm/,
      );
      expect(isMissingResource(failed)).toBe(true);
      expect(isMissingResource(await store.count().catch((err: unknown) => err))).toBe(true);
    } finally {
      await ensureHookswitchStreams(jsm);
    }
  });
});

describe("the dead-letter store keeping records through the daemon's shared publisher", () => {
  const withPublisher = (maxPayload?: number) =>
    createDeadLetterStore(jetstream(nc), jsm, {
      consumer: "hookswitch",
      publisher: createStoredPublisher(nc),
      ...(maxPayload === undefined ? {} : { maxPayload: () => maxPayload }),
    });

  it("stores each record once per message id, under its message id", async () => {
    const keeping = withPublisher();
    const records = Array.from({ length: 50 }, () => deadLetter(null));
    // All at once, as a flood of invalid events has them, and each of them twice.
    await Promise.all(
      [...records, ...records].map((record) =>
        keeping.keep(record, { msgId: `dlq:invalid:${record.eventId}` }),
      ),
    );
    const listed = await listAll(store);
    expect(listed.map(({ id: _id, ...record }) => record)).toEqual(records);
    const first = await jsm.streams.getMessage(DEAD_LETTER_STREAM, { seq: listed[0]!.id });
    expect(first?.header.get("Nats-Msg-Id")).toBe(`hookswitch:dlq:invalid:${records[0]!.eventId}`);
  });

  it("cuts a record to the server's largest message, as `add` does", async () => {
    const big = deadLetter(null, { event: "x".repeat(200 * 1024) });
    await withPublisher(128 * 1024).keep(big, { msgId: "dlq:invalid:big" });
    const [kept] = await listAll(store);
    expect(kept?.cut).toEqual(["event"]);
    expect(kept?.event).toBe("x".repeat(KEPT_EVENT_CHARS));
  });

  it("stores a record without a message id as `add` does, every time it is given", async () => {
    const keeping = withPublisher();
    const record = deadLetter(null);
    await keeping.keep(record);
    await keeping.keep(record);
    expect(await store.count()).toBe(2);
  });

  it("says the stream is missing when it was deleted, as a missing resource", async () => {
    await jsm.streams.delete(DEAD_LETTER_STREAM);
    try {
      const failed = await withPublisher()
        .keep(deadLetter(null), { msgId: "dlq:invalid:gone" })
        .catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(NoStreamError);
      expect(isMissingResource(failed)).toBe(true);
    } finally {
      await ensureHookswitchStreams(jsm);
    }
  });
});
