import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { jsonArrayEnd, jsonArrayItem } from "../../src/commands/dlq/json.js";
import { planReplay, replayOne } from "../../src/commands/dlq/replay-plan.js";
import { deadLetterRow, formatDeadLetterRows } from "../../src/commands/dlq/table.js";
import { parseListing, parseSelection } from "../../src/commands/dlq/selection.js";
import { createDeadLetterStore, type DeadLetterStore } from "../../src/delivery/dead-letters.js";
import {
  type DeadLetterRecord,
  type DeliveryRecord,
  type ListedDeadLetter,
  unroutedDeadLetter,
} from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM, deliverySubject } from "../../src/nats/layout.js";
import { UsageError } from "../../src/errors.js";
import { streamExists } from "../../src/nats/streams.js";
import { runCli, spawnCli } from "../support/cli.js";
import { eventSubject } from "../../src/events/sample.js";
import { makeEvent } from "../support/daemon.js";
import { startNatsWithClient, type NatsServer } from "../support/nats-server.js";
import { ensureDaemonLeftovers, listAll, useDeadLetterQueue } from "../support/dead-letters.js";
import { waitFor } from "../support/wait.js";

/** The table `dlq list` prints of these records. */
const formatDeadLetterTable = (records: ListedDeadLetter[]) =>
  formatDeadLetterRows(records.map(deadLetterRow));

let serial = 0;

function deadLetter(
  integration: string | null,
  overrides: Partial<DeadLetterRecord> = {},
): DeadLetterRecord {
  serial++;
  const failed = integration !== null;
  return {
    v: 1,
    integration,
    webhookId: failed ? `msg_${serial}` : null,
    eventId: `event-${serial}`,
    reason: failed ? "HTTP 410 Gone is not retried" : "invalid event: not valid JSON",
    event: failed ? { id: `event-${serial}`, type: "user.created" } : "{oops",
    attempts: failed
      ? [
          { at: "2026-11-28T17:00:00.000Z", error: "ECONNREFUSED" },
          { at: "2026-11-28T17:00:02.000Z", status: 410 },
        ]
      : [],
    lastStatus: failed ? 410 : null,
    lastError: null,
    lastResponseBody: failed ? "gone" : null,
    firstAttemptAt: failed ? "2026-11-28T17:00:00.000Z" : null,
    lastAttemptAt: failed ? "2026-11-28T17:00:02.000Z" : null,
    deadAt: "2026-11-28T17:00:02.100Z",
    ...overrides,
  };
}

describe("dead-letter selection", () => {
  it.each([
    [["3", "5"], {}, { kind: "ids", ids: [3, 5] }],
    [[], { integration: "crm" }, { kind: "integration", integration: "crm" }],
    [[], { all: true }, { kind: "all" }],
    [["3", "3", "5"], {}, { kind: "ids", ids: [3, 5] }],
    [["9007199254740991"], {}, { kind: "ids", ids: [9007199254740991] }],
    [[], { integration: "_invalid" }, { kind: "integration", integration: "_invalid" }],
    [[], { integration: "a".repeat(63) }, { kind: "integration", integration: "a".repeat(63) }],
  ])("ids %j with %j select %j", (ids, opts, selection) => {
    expect(parseSelection("purge", ids, opts)).toEqual(selection);
  });

  it.each([
    [[], {}],
    [["1"], { all: true }],
    [[], { all: true, integration: "crm" }],
    [["abc"], {}],
    [["0"], {}],
    [["1e3"], {}],
    [["0x10"], {}],
    [[" 7"], {}],
    // Past 2^53 a number names another record than the one typed.
    [["9007199254740993"], {}],
    [[], { integration: "" }],
    [[], { integration: "*" }],
    [[], { integration: ">" }],
    [[], { integration: "crm.x" }],
    [[], { integration: "CRM" }],
    [[], { integration: "a".repeat(64) }],
    [[], { integration: "crm-" }],
  ])("ids %j with %j are a usage error", (ids, opts) => {
    expect(() => parseSelection("purge", ids, opts)).toThrow(UsageError);
  });

  it.each([
    [[], {}, { kind: "all" }],
    [["4", "2", "4"], {}, { kind: "ids", ids: [4, 2] }],
    [[], { integration: "crm" }, { kind: "integration", integration: "crm" }],
  ])("dlq list: ids %j with %j list %j", (ids, opts, selection) => {
    expect(parseListing(ids, opts)).toEqual(selection);
  });

  it.each([
    [["1"], { integration: "crm" }],
    [["x"], {}],
    [[], { integration: "*" }],
  ])("dlq list: ids %j with %j are a usage error", (ids, opts) => {
    expect(() => parseListing(ids, opts)).toThrow(UsageError);
  });
});

describe("the dead-letter table", () => {
  it.each([
    ["invalid event: not valid JSON: Unexpected token", "(invalid event)"],
    [
      "gave up after 20 deliveries of stream message 7: hookswitch could not record its deliveries",
      "(whole event)",
    ],
    [
      "event of 70000 bytes is larger than --max-event-size (64 KiB): not delivered",
      "(whole event)",
    ],
  ])("names a dead letter of no one integration by its reason %j: %s", (reason, label) => {
    const [, shown] = deadLetterRow({ ...deadLetter(null, { reason }), id: 1 });
    expect(shown).toBe(label);
  });

  it("shows one line per record under a header, and a count", () => {
    const text = formatDeadLetterTable([
      { ...deadLetter("crm"), id: 7 },
      { ...deadLetter(null), id: 12 },
    ]);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+INTEGRATION\s+EVENT ID\s+REASON\s+ATTEMPTS\s+LAST\s+TIME$/);
    expect(lines[1]).toMatch(
      /^7\s+crm\s+event-\d+\s+HTTP 410 Gone is not retried\s+2\s+HTTP 410\s+2026-11-28T17:00:02.000Z$/,
    );
    expect(lines[2]).toMatch(
      /^12\s+\(invalid event\)\s+event-\d+\s+invalid event: not valid JSON\s+0\s+-\s+2026-11-28T17:00:02.100Z$/,
    );
    expect(lines[3]).toBe("2 dead letters");
  });

  it("cuts an event id longer than a UUID to 40 characters, so that other lines stay short", () => {
    const long = { ...deadLetter("crm"), id: 8, eventId: `${"L".repeat(500_000)}-end` };
    const usual = { ...deadLetter("crm"), id: 9 };
    const lines = formatDeadLetterTable([long, usual]).trimEnd().split("\n");
    expect(lines[1]).toContain(` ${"L".repeat(39)}… `);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(250);
  });

  it("lays out its columns two spaces apart, each as wide as its widest cell", () => {
    const record = { ...deadLetter("crm"), id: 7, eventId: "e-1" };
    expect(formatDeadLetterTable([record])).toBe(
      "ID  INTEGRATION  EVENT ID  REASON                        ATTEMPTS  LAST      TIME\n" +
        "7   crm          e-1       HTTP 410 Gone is not retried  2         HTTP 410  2026-11-28T17:00:02.000Z\n" +
        "1 dead letter\n",
    );
  });

  it.each<[string, Partial<DeadLetterRecord>, string, string]>([
    ["a short reason", { reason: "x".repeat(60) }, "x".repeat(60), "HTTP 410"],
    ["a long reason", { reason: "x".repeat(61) }, `${"x".repeat(59)}…`, "HTTP 410"],
    ["a reason over lines", { reason: "bad\n  body" }, "bad body", "HTTP 410"],
    [
      "an error, no status",
      { lastStatus: null, lastError: "connect ECONNREFUSED" },
      "HTTP 410 Gone is not retried",
      "connect ECONNREFUSED",
    ],
    [
      "a long error",
      { lastStatus: null, lastError: "e".repeat(41) },
      "HTTP 410 Gone is not retried",
      `${"e".repeat(39)}…`,
    ],
  ])("shows, for %s, the reason %j and last outcome %j", (_, fields, reason, last) => {
    const [, , , shownReason, , shownLast] = deadLetterRow({ ...deadLetter("crm", fields), id: 1 });
    expect([shownReason, shownLast]).toEqual([reason, last]);
  });

  it("says so when there is nothing", () => {
    expect(formatDeadLetterTable([])).toBe("no dead letters\n");
  });

  it("lays out 200,000 dead letters, a queue after a day's outage", () => {
    const one = deadLetter("crm");
    const many = Array.from({ length: 200_000 }, (_, i) => ({ ...one, id: i + 1 }));
    expect(formatDeadLetterTable(many).trimEnd().split("\n").at(-1)).toBe("200000 dead letters");
  });

  it("shows control characters from events and receivers as �, never as escapes", () => {
    const hostile = {
      ...deadLetter("crm"),
      id: 3,
      eventId: "esc-\u001b[2J\u001b]0;pwned\u0007",
      reason: "Unexpected token \u001b[1;31mRED\u001b[0m, \u009b31m not valid JSON",
    };
    const text = formatDeadLetterTable([hostile]);
    // eslint-disable-next-line no-control-regex -- no control character may be left but \n
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain("esc-\ufffd[2J\ufffd]0;pwned\ufffd");
  });
});

describe("the JSON listing, written a record at a time", () => {
  it.each([
    ["no record", []],
    ["one record", [{ ...deadLetter("crm"), id: 1 }]],
    [
      "records holding newlines, quotes, nesting and empty values",
      [
        { ...deadLetter("crm"), id: 1, reason: 'line\nbreak "quoted"\r\t', request: undefined },
        { ...deadLetter(null), id: 2, event: { a: [], b: {}, c: [1, { d: null }], e: "\u2028" } },
        { ...deadLetter("billing"), id: 3, attempts: [] },
      ],
    ],
  ])("reads as JSON.stringify of the array, with %s", (_what, records) => {
    const text = records.map((r, i) => jsonArrayItem(r, i)).join("") + jsonArrayEnd(records.length);
    expect(text).toBe(`${JSON.stringify(records, null, 2)}\n`);
  });
});

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let store: DeadLetterStore;

/** Dead letters of a deployment whose daemons never made their deliveries consumer. */
let typo: DeadLetterStore;

useDeadLetterQueue("dlq-cli-test", (queue) => {
  ({ server, nc, jsm, store } = queue);
  typo = createDeadLetterStore(jetstream(queue.nc), jsm, { consumer: "hookswitch-typo" });
});

const dlq = (args: string[], env: Record<string, string> = {}) =>
  runCli(["dlq", ...args], { env: { NATS_URL: server.url, ...env } });
const idsOf = async (of: DeadLetterStore) => (await listAll(of)).map((r) => r.id);
const ids = () => idsOf(store);

/** The webhook-ids of the deliveries `dlq replay` published. */
async function replayedWebhookIds(): Promise<Set<string>> {
  const found = new Set<string>();
  const { messages } = (await jsm.streams.info(DELIVERY_STREAM)).state;
  for (let seq = 1; found.size < messages && seq <= messages * 2; seq++) {
    const stored = await jsm.streams.getMessage(DELIVERY_STREAM, { seq }).catch(() => null);
    if (stored) found.add(stored.json<DeliveryRecord>().webhookId);
  }
  return found;
}

describe("hookswitch dlq list", () => {
  it("prints a readable table", async () => {
    const id = await store.add(deadLetter("crm"));
    const result = await dlq(["list"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${id}\\s+crm\\s+event-\\d+\\s+HTTP 410 Gone`, "m"));
    expect(result.stdout).toContain("1 dead letter\n");
  });

  it("prints the table of 150 dead letters of 900 KB in a 64 MB heap, keeping none of their events", async () => {
    // After a flood of big invalid events, the listing held every event it had read.
    const big = { ...deadLetter(null), event: "x".repeat(900_000) };
    // Ten at a time: 135 MB written at once outlasted a publish's 5 s on a busy machine.
    for (let i = 0; i < 150; i += 10) {
      await Promise.all(Array.from({ length: 10 }, () => store.add(big)));
    }
    const result = await dlq(["list"], { NODE_OPTIONS: "--max-old-space-size=64" });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("150 dead letters\n");
  });

  it("prints JSON with HOOKSWITCH_DLQ_JSON=true, and a table with =false", async () => {
    await store.add(deadLetter("crm"));
    const json = await dlq(["list"], { HOOKSWITCH_DLQ_JSON: "true" });
    expect(json.code).toBe(0);
    expect(Array.isArray(JSON.parse(json.stdout))).toBe(true);
    const table = await dlq(["list"], { HOOKSWITCH_DLQ_JSON: "false" });
    expect(table.stdout).toMatch(/dead letters?\n$/);
  });

  it("lists the oldest --limit dead letters, and says on stderr that more follow", async () => {
    const added = [];
    for (let i = 0; i < 3; i++) added.push(await store.add(deadLetter("crm")));
    const table = await dlq(["list", "--limit", "2"]);
    expect(table.code).toBe(0);
    const listed = [...table.stdout.matchAll(/^(\d+)\s+crm\s/gm)].map((m) => Number(m[1]));
    expect(listed).toEqual(added.slice(0, 2));
    expect(table.stdout).toContain("2 dead letters\n");
    expect(table.stderr).toBe(
      "more dead letters follow: --limit 2 listed the oldest 2; list the rest with a larger " +
        "--limit, or without it\n",
    );
    const json = await dlq(["list", "--json"], { HOOKSWITCH_DLQ_LIMIT: "2" });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { id: number }[]).map((r) => r.id)).toEqual(
      added.slice(0, 2),
    );
    expect(json.stderr).toContain("more dead letters follow");
    const all = await dlq(["list", "--limit", "3"]);
    expect(all.stdout).toContain("3 dead letters\n");
    expect(all.stderr).toBe("");
  });

  it("does not say the ids past a --limit are missing: it did not look for them", async () => {
    const added = [];
    for (let i = 0; i < 3; i++) added.push(await store.add(deadLetter("crm")));
    const result = await dlq(["list", "--limit", "1", ...added.map(String)]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^more dead letters follow: --limit 1 /);
    expect(result.stderr).not.toContain("not found");
  });

  it("notes, beside an empty listing, a --consumer no daemon has run with", async () => {
    await store.add(deadLetter("crm"));
    const result = await dlq(["list"], { HOOKSWITCH_CONSUMER: "hookswitch-typo" });
    expect(result).toMatchObject({
      code: 0,
      stdout: "no dead letters\n",
      stderr:
        "note: no daemon has run with --consumer hookswitch-typo, so it has no dead letters " +
        "of its own: give --consumer (HOOKSWITCH_CONSUMER) the daemons' --consumer\n",
    });
  });

  it("lists the dead letters given by id, in full with --json", async () => {
    const crm = deadLetter("crm");
    const id = await store.add(crm);
    await store.add(deadLetter("billing"));
    const json = await dlq(["list", "--json", String(id)]);
    expect(json).toMatchObject({ code: 0, stderr: "" });
    const records = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ id, integration: "crm", reason: crm.reason });
    const table = await dlq(["list", String(id), String(id)]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("1 dead letter\n");
  });

  it("lists the ids it finds, says which it does not, and exits 1", async () => {
    const id = await store.add(deadLetter("crm"));
    const result = await dlq(["list", "--json", String(id), "424242"]);
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as { id: number }[]).map((r) => r.id)).toEqual([id]);
    expect(result.stderr).toBe("dead letter 424242 not found\n");
  });

  it("refuses another deployment's id, naming its --consumer", async () => {
    const theirs = await typo.add(deadLetter("crm"));
    const result = await dlq(["list", String(theirs)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("no dead letters\n");
    expect(result.stderr).toContain(
      `dead letter ${theirs} belongs to the deployment with --consumer hookswitch-typo, not to ` +
        "--consumer hookswitch: not listed (give --consumer hookswitch-typo to list it)",
    );
  });

  it("exits 2 for ids beside --integration, or an id that is no id", async () => {
    for (const args of [["1", "--integration", "crm"], ["1e3"]]) {
      const result = await dlq(["list", ...args]);
      expect(result.code).toBe(2);
    }
  });

  it("refuses a --limit that is no count, naming the variable it came from", async () => {
    const flag = await dlq(["list", "--limit", "0"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--limit must be a whole number ≥ 1, not "0"');
    const variable = await dlq(["list"], { HOOKSWITCH_DLQ_LIMIT: "ten" });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain("HOOKSWITCH_DLQ_LIMIT (--limit) must be a whole number ≥ 1");
  });

  it("prints JSON records with the documented fields, filtered by integration", async () => {
    const crm = deadLetter("crm");
    const id = await store.add(crm);
    await store.add(deadLetter("billing"));
    const result = await dlq(["list", "--json", "--integration", "crm"]);
    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id,
      integration: "crm",
      eventId: crm.eventId,
      webhookId: crm.webhookId,
      reason: crm.reason,
      attempts: crm.attempts,
      lastStatus: 410,
      lastError: null,
      firstAttemptAt: crm.firstAttemptAt,
      lastAttemptAt: crm.lastAttemptAt,
    });
  });
});

describe("hookswitch dlq replay", () => {
  it("hands the delivery back with the same webhook-id and fresh attempts, then removes the dead letter", async () => {
    const crm = deadLetter("crm");
    const id = await store.add(crm);
    const other = await store.add(deadLetter("billing"));
    const result = await dlq(["replay", String(id)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("replayed 1 dead letter\n");
    const stored = await jsm.streams.getMessage(DELIVERY_STREAM, {
      last_by_subj: deliverySubject("hookswitch", "crm"),
    });
    expect(stored?.json<DeliveryRecord>()).toEqual({
      v: 1,
      webhookId: crm.webhookId,
      integration: "crm",
      event: crm.event,
      attempts: [],
      replays: 1,
      // Kept for a replay that goes back unsent (its integration disabled or removed).
      replayOf: {
        attempts: crm.attempts,
        lastStatus: crm.lastStatus,
        lastError: crm.lastError,
        lastResponseBody: crm.lastResponseBody,
      },
    });
    expect(await ids()).toEqual([other]);
  });

  it("publishes a delivery once when its replay runs again before the dead letter was removed", async () => {
    const id = await store.add(deadLetter("crm"));
    const [listed] = await listAll(store);
    const plan = planReplay(listed!, "hookswitch");
    if (!plan.ok) throw new Error(plan.why);
    // As a run that published, then failed to remove the dead letter, and ran again.
    await replayOne(jetstream(nc), store, id, plan);
    await replayOne(jetstream(nc), store, id, plan);
    expect((await jsm.streams.info(DELIVERY_STREAM)).state.messages).toBe(1);
    expect(await ids()).toEqual([]);
  });

  it("stops between dead letters at SIGTERM: each one is either replayed or still in the queue, never both", async () => {
    const total = 3_000;
    for (let i = 0; i < total; i++) await store.add(deadLetter("crm"));
    const replay = spawnCli(["dlq", "replay", "--all"], { env: { NATS_URL: server.url } });
    await waitFor(() => replay.output().includes("replayed to crm"), { timeoutMs: 20_000 });
    replay.signal("SIGTERM");
    expect(await replay.exited).toBe(143);
    expect(replay.output()).toMatch(/replayed \d+ dead letters?, then stopped \(SIGTERM\)/);

    const left = new Set((await listAll(store)).map((r) => r.webhookId));
    const replayed = await replayedWebhookIds();
    expect(left.size).toBeGreaterThan(0);
    expect(replayed.size).toBeGreaterThan(0);
    expect([...replayed].filter((id) => left.has(id))).toEqual([]);
    expect(left.size + replayed.size).toBe(total);
  });

  it("replays a whole integration, or everything", async () => {
    await store.add(deadLetter("crm"));
    await store.add(deadLetter("crm"));
    const billing = await store.add(deadLetter("billing"));
    expect((await dlq(["replay", "--integration", "crm"])).stdout).toBe(
      "replayed 2 dead letters\n",
    );
    expect(await ids()).toEqual([billing]);
    expect((await dlq(["replay", "--all"])).stdout).toBe("replayed 1 dead letter\n");
    expect(await ids()).toEqual([]);
    expect((await jsm.streams.info(DELIVERY_STREAM)).state.messages).toBe(3);
  });

  it("leaves a message that was not a valid event, says why, and exits 1 when it was asked for", async () => {
    const invalid = await store.add(deadLetter(null));
    const result = await dlq(["replay", String(invalid)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `dead letter ${invalid} is a message that was not a valid event`,
    );
    expect(await ids()).toEqual([invalid]);
    expect((await jsm.streams.info(DELIVERY_STREAM)).state.messages).toBe(0);
  });

  it.each([
    ["an escape sequence", "evt-\u001b[2J-1", "evt-\ufffd[2J-1"],
    // The replay's Nats-Msg-Id holds the id: a header cannot carry CR or LF as they are.
    ["CR and LF", "evt-\r\n-1", "evt-\ufffd\ufffd-1"],
  ])(
    "publishes again the event of a dead letter that ran out of NATS deliveries, its id holding %s",
    async (_what, id, printed) => {
      // An id is any text the publisher chose: its control characters are not printed.
      const event = { ...makeEvent(), id };
      const subject = eventSubject(event);
      await jsm.streams.add({ name: "DLQ_TEST_EVENTS", subjects: [subject] });
      try {
        const outOfDeliveries = await store.add(
          unroutedDeadLetter({
            reason: "gave up after 20 deliveries",
            event,
            subject,
            deadAt: new Date().toISOString(),
          }),
        );
        const result = await dlq(["replay", String(outOfDeliveries)]);
        expect(result.code).toBe(0);
        expect(result.stderr).toContain(
          `dead letter ${outOfDeliveries}: event ${printed} published again to ${subject}`,
        );
        const stored = await jsm.streams.getMessage("DLQ_TEST_EVENTS", { last_by_subj: subject });
        expect(stored?.json()).toEqual(event);
        expect(await ids()).toEqual([]);
      } finally {
        await jsm.streams.delete("DLQ_TEST_EVENTS");
      }
    },
  );

  it("leaves a dead letter that kept only the start of its event, says why, and exits 1", async () => {
    const cut = await store.add(deadLetter("crm", { event: '{"id":"e', cut: ["event"] }));
    const result = await dlq(["replay", String(cut)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`dead letter ${cut} kept only the start of its event`);
    expect(await ids()).toEqual([cut]);
    expect((await jsm.streams.info(DELIVERY_STREAM)).state.messages).toBe(0);
  });

  it("replays nothing and keeps the dead letters for a --consumer no daemon has run with", async () => {
    const id = await typo.add(deadLetter("crm"));
    const result = await dlq(["replay", "--all"], { HOOKSWITCH_CONSUMER: "hookswitch-typo" });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "hookswitch: no daemon has run with --consumer hookswitch-typo (HOOKSWITCH_DELIVERIES has " +
        "no consumer hookswitch-typo-deliveries), so nothing would take the replay: give " +
        "--consumer (HOOKSWITCH_CONSUMER) the daemons' --consumer. Nothing was replayed\n",
    );
    expect(await idsOf(typo)).toEqual([id]);
    expect((await jsm.streams.info(DELIVERY_STREAM)).state.messages).toBe(0);
  });

  it.each([
    ["--all", () => ["--all"], 0],
    ["--integration _invalid", () => ["--integration", "_invalid"], 0],
    ["its id", (id: number) => [String(id)], 1],
  ])(
    "asks for no daemon's --consumer when replaying, by %s, a message that was not a valid event",
    async (_what, args, code) => {
      const invalid = await typo.add(deadLetter(null));
      const result = await dlq(["replay", ...args(invalid)], {
        HOOKSWITCH_CONSUMER: "hookswitch-typo",
      });
      expect(result.code).toBe(code);
      expect(result.stdout).toBe("replayed 0 dead letters; 1 could not be and stay (said above)\n");
      expect(result.stderr).toBe(
        `dead letter ${invalid} is a message that was not a valid event: it cannot be ` +
          `replayed (it stays; \`dlq purge ${invalid}\` removes it)\n`,
      );
    },
  );

  it("replays nothing by id when one of the ids is a delivery and no daemon has run with --consumer", async () => {
    const invalid = await typo.add(deadLetter(null));
    const crm = await typo.add(deadLetter("crm"));
    const result = await dlq(["replay", String(invalid), String(crm)], {
      HOOKSWITCH_CONSUMER: "hookswitch-typo",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no daemon has run with --consumer hookswitch-typo");
    expect(await idsOf(typo)).toEqual([invalid, crm]);
  });

  it("replays nothing and keeps the dead letters where the deliveries stream is gone", async () => {
    const id = await store.add(deadLetter("crm"));
    await jsm.streams.delete(DELIVERY_STREAM);
    try {
      const result = await dlq(["replay", "--all"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("hookswitch: no daemon has run with --consumer hookswitch");
      expect(await ids()).toEqual([id]);
    } finally {
      await ensureDaemonLeftovers(jsm);
    }
  });

  it("keeps a dead letter whose replay the deliveries stream refuses", async () => {
    const id = await store.add(deadLetter("crm"));
    const { config } = await jsm.streams.info(DELIVERY_STREAM);
    // Every replay is larger than this: the stream refuses it, as a full one would.
    await jsm.streams.update(DELIVERY_STREAM, { ...config, max_msg_size: 16 });
    try {
      const result = await dlq(["replay", String(id)]);
      expect(result.code).toBe(1);
      expect(await ids()).toEqual([id]);
    } finally {
      await jsm.streams.update(DELIVERY_STREAM, config);
    }
  });

  it("exits 2 for a --consumer that is no consumer name", async () => {
    const id = await store.add(deadLetter("crm"));
    const result = await dlq(["replay", String(id), "--consumer", "a.b"]);
    expect(result.code).toBe(2);
    expect(await ids()).toEqual([id]);
  });

  it("with --dry-run says what it would replay and why some cannot be, and replays nothing", async () => {
    const crm = await store.add(deadLetter("crm"));
    const invalid = await store.add(deadLetter(null));
    const result = await dlq(["replay", "--all", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `dead letter ${crm} would be replayed to crm\n` +
        "would replay 1 dead letter; 1 could not be (said above); nothing was replayed (--dry-run)\n",
    );
    expect(result.stderr).toContain(
      `dead letter ${invalid} is a message that was not a valid event`,
    );
    expect(await ids()).toEqual([crm, invalid]);
    expect((await jsm.streams.info(DELIVERY_STREAM)).state.messages).toBe(0);

    const byId = await dlq(["replay", String(invalid), "--dry-run"]);
    expect(byId.code).toBe(1);
    expect(await ids()).toEqual([crm, invalid]);
  });

  it("with --dry-run still refuses a --consumer no daemon has run with", async () => {
    const id = await typo.add(deadLetter("crm"));
    const result = await dlq(["replay", String(id), "--dry-run"], {
      HOOKSWITCH_CONSUMER: "hookswitch-typo",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no daemon has run with --consumer hookswitch-typo");
    expect(result.stdout).toBe("");
    expect(await idsOf(typo)).toEqual([id]);
  });

  it("reports an id that is not there and exits 1", async () => {
    const result = await dlq(["replay", "424242"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("dead letter 424242 not found");
  });
});

describe("hookswitch dlq purge", () => {
  it("removes by id, by integration, or all, and says how many", async () => {
    const a = await store.add(deadLetter("crm"));
    const b = await store.add(deadLetter("crm"));
    const c = await store.add(deadLetter("billing"));
    await store.add(deadLetter(null));
    const byId = await dlq(["purge", String(a)]);
    expect(byId).toMatchObject({ code: 0, stdout: "removed 1 dead letter\n" });
    expect(await ids()).not.toContain(a);
    const byIntegration = await dlq(["purge", "--integration", "billing"]);
    expect(byIntegration).toMatchObject({ code: 0, stdout: "removed 1 dead letter\n" });
    expect(await ids()).not.toContain(c);
    expect(await ids()).toContain(b);
    const all = await dlq(["purge", "--all"]);
    expect(all).toMatchObject({ code: 0, stdout: "removed 2 dead letters\n" });
    expect(await store.count()).toBe(0);
  });

  it("counts an id given twice once, and exits 0 when it is removed", async () => {
    const id = await store.add(deadLetter("crm"));
    const result = await dlq(["purge", String(id), String(id)]);
    expect(result).toMatchObject({ code: 0, stdout: "removed 1 dead letter\n", stderr: "" });
  });

  it("removes the ids it finds, says which it does not, and exits 1", async () => {
    const kept = await store.add(deadLetter("crm"));
    const gone = await store.add(deadLetter("crm"));
    const missing = gone + 1000;
    const result = await dlq(["purge", String(gone), String(missing)]);
    expect(result).toMatchObject({
      code: 1,
      stdout: "removed 1 dead letter\n",
      stderr: `dead letter ${missing} not found\n`,
    });
    expect(await ids()).toEqual([kept]);
  });

  it("never takes a wildcard for an integration: purge --integration '*' removes nothing", async () => {
    const crm = await store.add(deadLetter("crm"));
    const billing = await store.add(deadLetter("billing"));
    for (const wildcard of ["*", ">"]) {
      const result = await dlq(["purge", "--integration", wildcard]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--integration "${wildcard}" is not an integration name`);
    }
    const listed = await dlq(["list", "--integration", ""]);
    expect(listed.code).toBe(2);
    expect(await ids()).toEqual([crm, billing]);
  });

  it.each([
    [["purge"]],
    [["replay"]],
    [["purge", "1", "--all"]],
    [["replay", "--all", "--integration", "crm"]],
    [["purge", "abc"]],
    // Numbers JavaScript reads that name another record than the one typed.
    [["purge", "1e0"]],
    [["replay", "0x1"]],
    [["purge", "0"]],
  ])("exits 2 on %j", async (args) => {
    const id = await store.add(deadLetter("crm"));
    const result = await dlq(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/needs exactly one of|not a dead-letter id/);
    expect(await ids()).toEqual([id]);
  });
});

describe("hookswitch dlq on a NATS where no daemon has run", () => {
  it("finds no dead letters, says why, and creates no stream", async () => {
    const fresh = await startNatsWithClient("dlq-fresh-test");
    try {
      const env = { NATS_URL: fresh.server.url };
      const list = await runCli(["dlq", "list", "--json"], { env });
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([]);
      expect(list.stderr).toBe(
        `note: stream HOOKSWITCH_DLQ does not exist at 127.0.0.1:${fresh.server.port}: no ` +
          "hookswitch daemon has run against this NATS (account) yet, so it holds no dead " +
          "letters (check NATS_URL if one has)\n",
      );
      const purge = await runCli(["dlq", "purge", "--all"], { env });
      expect(purge).toMatchObject({ code: 0, stdout: "removed 0 dead letters\n" });
      const replay = await runCli(["dlq", "replay", "7"], { env });
      expect(replay.code).toBe(1);
      expect(replay.stderr).toContain("dead letter 7 not found");
      // Created here, they would keep 1 replica when the daemon asks for 3.
      expect(await streamExists(fresh.jsm, DEAD_LETTER_STREAM)).toBe(false);
      expect(await streamExists(fresh.jsm, DELIVERY_STREAM)).toBe(false);
    } finally {
      await fresh.nc.close();
      await fresh.server.dispose();
    }
  });
});
