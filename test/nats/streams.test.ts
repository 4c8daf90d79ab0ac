import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "../../src/nats/layout.js";
import { onceLog } from "../../src/nats/setup.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { subjectCovers, subjectFilter, subjectProblem } from "../../src/nats/subjects.js";
import { capturingLogger, type LogLine } from "../support/logs.js";
import { useNatsWithClient } from "../support/nats-server.js";

let jsm: JetStreamManager;

useNatsWithClient("streams-test", (started) => ({ jsm } = started));

describe("hookswitch's own streams", () => {
  it("are a work queue of deliveries and a dead-letter stream without limits, ensured idempotently", async () => {
    await ensureHookswitchStreams(jsm);
    await ensureHookswitchStreams(jsm);
    const deliveries = await jsm.streams.info(DELIVERY_STREAM);
    expect(deliveries.config).toMatchObject({
      subjects: ["hookswitch.deliveries.>", "hookswitch.parked.>"],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(120_000),
    });
    const dlq = await jsm.streams.info(DEAD_LETTER_STREAM);
    expect(dlq.config).toMatchObject({
      subjects: ["hookswitch.dlq.>"],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: 0,
      max_msgs: -1,
    });
  });
});

describe("a delivery stream created by an earlier version", () => {
  it("gets the parked subject added and keeps its records and settings", async () => {
    await jsm.streams.delete(DELIVERY_STREAM);
    await jsm.streams.add({
      name: DELIVERY_STREAM,
      subjects: ["hookswitch.deliveries.>"],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(60_000),
    });
    const js = jsm.jetstream();
    await js.publish("hookswitch.deliveries.hs.crm", "a retry waiting");

    await ensureHookswitchStreams(jsm);

    const info = await jsm.streams.info(DELIVERY_STREAM);
    expect(info.config.subjects).toEqual(["hookswitch.deliveries.>", "hookswitch.parked.>"]);
    expect(info.config.duplicate_window).toBe(nanos(60_000));
    expect(info.state.messages).toBe(1);
  });
});

/** Both streams as an operator made them before the first start, with these limits. */
async function ownStreamsWith(
  deliveries: Partial<StreamConfig>,
  deadLetters: Partial<StreamConfig>,
): Promise<void> {
  for (const name of [DELIVERY_STREAM, DEAD_LETTER_STREAM]) {
    await jsm.streams.delete(name).catch(() => false);
  }
  await jsm.streams.add({
    name: DELIVERY_STREAM,
    subjects: ["hookswitch.deliveries.>", "hookswitch.parked.>"],
    retention: RetentionPolicy.Workqueue,
    ...deliveries,
  });
  await jsm.streams.add({
    name: DEAD_LETTER_STREAM,
    subjects: ["hookswitch.dlq.>"],
    ...deadLetters,
  });
}

const warnings = (lines: LogLine[]) =>
  lines.filter((line) => line.level === "warn").map((line) => String(line.msg));

describe("limits on hookswitch's own streams at which NATS drops records", () => {
  it("are removed at start, each named in a warning with why, and no record is lost", async () => {
    await ownStreamsWith({ max_age: nanos(2_000) }, { max_msgs: 10, discard: DiscardPolicy.Old });
    const js = jsm.jetstream();
    for (let i = 0; i < 5; i++) await js.publish("hookswitch.dlq.hs.crm", `dead letter ${i}`);
    const { log, lines } = capturingLogger();
    const setupLog = onceLog(log);

    await ensureHookswitchStreams(jsm, { log: setupLog });
    await ensureHookswitchStreams(jsm, { log: setupLog });

    const deliveries = (await jsm.streams.info(DELIVERY_STREAM)).config;
    expect(deliveries.max_age).toBe(0);
    expect(deliveries.subjects).toEqual(["hookswitch.deliveries.>", "hookswitch.parked.>"]);
    const dlq = (await jsm.streams.info(DEAD_LETTER_STREAM)).config;
    expect(dlq).toMatchObject({ max_msgs: -1, max_age: 0, discard: DiscardPolicy.Old });
    for (let i = 5; i < 20; i++) await js.publish("hookswitch.dlq.hs.crm", `dead letter ${i}`);
    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(20);
    expect(warnings(lines)).toEqual([
      expect.stringMatching(
        /^stream HOOKSWITCH_DELIVERIES had max_age 2s, at which NATS drops records unread, and each is a delivery still to do .*: hookswitch removed this limit so no work is lost\. To bound the stream, set max_msgs or max_bytes with discard new/,
      ),
      expect.stringMatching(
        /^stream HOOKSWITCH_DLQ had max_msgs 10 \(discard old\), .* a dead letter, which leaves only by dlq replay or dlq purge: hookswitch removed this limit/,
      ),
    ]);
  });
});

describe("limits on hookswitch's own streams at which NATS refuses writes", () => {
  it("are kept, and told once at start that writes past them are refused and handed back", async () => {
    await ownStreamsWith({}, { max_msgs: 1000, max_bytes: 1_000_000, discard: DiscardPolicy.New });
    const { log, lines } = capturingLogger();
    const setupLog = onceLog(log);

    await ensureHookswitchStreams(jsm, { log: setupLog });
    await ensureHookswitchStreams(jsm, { log: setupLog });

    const dlq = (await jsm.streams.info(DEAD_LETTER_STREAM)).config;
    expect(dlq).toMatchObject({ max_msgs: 1000, max_bytes: 1_000_000, discard: DiscardPolicy.New });
    expect(warnings(lines)).toEqual([
      "stream HOOKSWITCH_DLQ has max_msgs 1000, max_bytes 1000000 with discard new: writes " +
        "past the limit will be refused, and the events that need them handed back and " +
        "retried until space returns (nothing is lost, but that work waits); hookswitch " +
        "keeps the limit",
    ]);
  });

  it("are not told of when there are none", async () => {
    await ownStreamsWith({}, {});
    const { log, lines } = capturingLogger();
    await ensureHookswitchStreams(jsm, { log: onceLog(log) });
    expect(warnings(lines)).toEqual([]);
  });
});

describe("subject filters", () => {
  it.each([
    [["pbx.>"], ["pbx.>"], {}],
    [["pbx.>", "other.>"], ["pbx.>"], { filter_subject: "pbx.>" }],
    [["a.>", "b.>", "c.>"], ["a.>", "b.>"], { filter_subjects: ["a.>", "b.>"] }],
    [["a.>"], ["a.>", "b.>"], {}],
    [["pbx.acme.>"], ["pbx.>"], {}],
    [["pbx.>"], ["pbx.acme.>"], { filter_subject: "pbx.acme.>" }],
  ])("stream %j with our subjects %j gives %j", (stream, ours, filter) => {
    expect(subjectFilter(stream, ours)).toEqual(filter);
  });

  it.each<[string, string, boolean]>([
    ["pbx.>", "pbx.acme.>", true],
    ["pbx.>", "pbx.a.b.c", true],
    ["pbx.>", "pbx", false],
    ["pbx.>", "pbx.>", true],
    ["pbx.*.x", "pbx.acme.x", true],
    ["pbx.*.x", "pbx.*.x", true],
    ["pbx.*.x", "pbx.>", false],
    ["pbx.*", "pbx.a.b", false],
    ["pbx.*", "pbx.>", false],
    ["pbx.*", "pbx.*", true],
    ["pbx.acme.>", "pbx.>", false],
    ["a.b", "a.b", true],
    ["a.b", "a.c", false],
    [">", "anything.at.all", true],
  ])("%s covers %s: %s", (pattern, subject, covers) => {
    expect(subjectCovers(pattern, subject)).toBe(covers);
  });
});

describe("subjects checked before anything starts, as NATS checks them", () => {
  it.each<[string, boolean]>([
    ["pbx.>", true],
    ["pbx.*.mycloudpbx.>", true],
    ["pbx.a*b", true],
    ["pbx.a>", true],
    ["pbx.a b", false],
    ["pbx.a\tb", false],
    ["pbx..a", false],
    [".pbx", false],
    ["pbx.", false],
    ["pbx.>.created", false],
  ])("%j: taken %s, as nats-server takes it for a stream", async (subject, taken) => {
    expect(subjectProblem(subject) === undefined).toBe(taken);
    const name = `SUBJECTS_${Math.random().toString(36).slice(2)}`;
    const created = await jsm.streams.add({ name, subjects: [subject] }).then(
      () => true,
      () => false,
    );
    if (created) await jsm.streams.delete(name);
    expect(created).toBe(taken);
  });
});
