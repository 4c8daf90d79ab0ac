import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import { describe, expect, it, vi } from "vitest";
import {
  bookmarkName,
  dropBookmark,
  readBookmark,
  writeBookmark,
} from "../../src/nats/consumer-bookmark.js";
import { deliveryConsumerName } from "../../src/nats/durable-consumers.js";
import { DELIVERY_STREAM, deliveryFilter, deliverySubject } from "../../src/nats/layout.js";
import { ensureJetStream, onceLog } from "../../src/nats/setup.js";
import type { DeliverFrom, JetStreamNames } from "../../src/nats/settings.js";
import { capturingLogger, type LogLine } from "../support/logs.js";
import { useNatsWithClient } from "../support/nats-server.js";

let jsm: JetStreamManager;

let nc: NatsConnection;
useNatsWithClient("setup-test", (started) => ({ jsm, nc } = started));

const MISSING_SINCE = Date.parse("2026-11-30T04:00:00.000Z");

function names(n: number, deliver: DeliverFrom, createStream: boolean): JetStreamNames {
  return {
    stream: `SETUP${n}`,
    subjects: [`setup${n}.>`],
    consumer: `setup${n}`,
    deliver,
    createStream,
    replicas: 1,
  };
}

describe("a consumer created at the first start", () => {
  it.each<[string, DeliverFrom, "created" | "existing", number | undefined, object]>([
    [
      "reads a stream it has just created from its first event",
      "new",
      "created",
      undefined,
      { deliver_policy: DeliverPolicy.All },
    ],
    [
      "reads an existing stream from now on, under --deliver new",
      "new",
      "existing",
      undefined,
      { deliver_policy: DeliverPolicy.New },
    ],
    [
      "reads a stream that appeared while it waited from when it was found missing, less a margin",
      "new",
      "existing",
      MISSING_SINCE,
      { deliver_policy: DeliverPolicy.StartTime, startsAt: MISSING_SINCE - 30_000 },
    ],
    [
      "reads all of an existing stream under --deliver all",
      "all",
      "existing",
      MISSING_SINCE,
      { deliver_policy: DeliverPolicy.All },
    ],
  ])("%s", async (_what, deliver, stream, missingSince, expected) => {
    const n = Math.floor(Math.random() * 1e9);
    const wanted = names(n, deliver, stream === "created");
    if (stream === "existing") {
      await jsm.streams.add({ name: wanted.stream, subjects: wanted.subjects });
    }
    await ensureJetStream(jsm, wanted, 30_000, { missingSince });
    const { config } = await jsm.consumers.info(wanted.stream, wanted.consumer);
    // The server writes the start time its own way: compare it as a time.
    const startsAt = config.opt_start_time ? Date.parse(config.opt_start_time) : undefined;
    expect({ deliver_policy: config.deliver_policy, startsAt }).toEqual({
      startsAt: undefined,
      ...expected,
    });
  });
});

const randomNames = (deliver: DeliverFrom, createStream = true) =>
  names(Math.floor(Math.random() * 1e9), deliver, createStream);

const said = (lines: LogLine[], level: "info" | "warn") =>
  lines.filter((line) => line.level === level).map((line) => String(line.msg));

/** An event stream with no limits, as these tests create it, is warned of: see its own test. */
const UNBOUNDED = /has no max age, message or byte limit/;
const otherWarnings = (lines: LogLine[]) =>
  said(lines, "warn").filter((line) => !UNBOUNDED.test(line));

describe("an event stream on a narrower subject than ours", () => {
  it("gets ours in its place, said in the log", async () => {
    const wanted = randomNames("new");
    const narrow = wanted.subjects[0]!.replace(">", "acme.>");
    await jsm.streams.add({ name: wanted.stream, subjects: [narrow] });
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, wanted, 30_000, {}, onceLog(log));
    expect((await jsm.streams.info(wanted.stream)).config.subjects).toEqual(wanted.subjects);
    expect(said(lines, "info")).toEqual([
      `added subjects ${wanted.subjects[0]} to stream ${wanted.stream} in place of ${narrow}, ` +
        `which they cover: the stream carries everything it carried before, and more`,
    ]);
  });
});

describe("an event stream whose settings lose events", () => {
  it("is warned about once per setting (limits told at info), not at every set-up, and left as it is", async () => {
    const wanted = randomNames("new");
    await jsm.streams.add({
      name: wanted.stream,
      subjects: wanted.subjects,
      storage: StorageType.Memory,
      retention: RetentionPolicy.Interest,
      max_age: nanos(3_600_000),
    });
    const { log, lines } = capturingLogger();
    const setupLog = onceLog(log);
    await ensureJetStream(jsm, wanted, 30_000, {}, setupLog);
    await ensureJetStream(jsm, wanted, 30_000, {}, setupLog);
    const warnings = said(lines, "warn");
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/memory storage: .*lost when NATS restarts/);
    expect(warnings[1]).toMatch(/interest retention: events published while no hookswitch/);
    const limits = said(lines, "info").filter((line) =>
      /max age of 1h with discard old/.test(line),
    );
    expect(limits).toHaveLength(1);
    const { config } = await jsm.streams.info(wanted.stream);
    expect(config).toMatchObject({ storage: "memory", retention: "interest" });
  });

  it.each<[string, object, RegExp]>([
    [
      "a per-subject limit, which drops a bulk import's unread events",
      { max_msgs_per_subject: 1, max_age: nanos(2_000) },
      /at most 1 message per subject: events of one service and type share a subject, so the earlier ones are dropped unread/,
    ],
    [
      "a message limit with discard new, which fills once and refuses every publish",
      { max_msgs: 100, discard: DiscardPolicy.New },
      /a limit of 100 messages with discard new and limits retention: acknowledged events are not removed from it, so once full it refuses every publish for good/,
    ],
  ])("warns once of %s, and leaves it as it is", async (_what, limits, warning) => {
    const wanted = randomNames("new");
    await jsm.streams.add({ name: wanted.stream, subjects: wanted.subjects, ...limits });
    const { log, lines } = capturingLogger();
    const setupLog = onceLog(log);
    await ensureJetStream(jsm, wanted, 30_000, {}, setupLog);
    await ensureJetStream(jsm, wanted, 30_000, {}, setupLog);
    const warnings = said(lines, "warn").filter((line) => line.includes(wanted.stream));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(warning);
    expect(warnings[0]).toMatch(/; hookswitch leaves the stream as it is$/);
    expect((await jsm.streams.info(wanted.stream)).config).toMatchObject(limits);
  });

  it("is not warned about when hookswitch created it", async () => {
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, randomNames("new"), 30_000, {}, onceLog(log));
    expect(otherWarnings(lines)).toEqual([]);
  });
});

describe("an event stream with work-queue retention", () => {
  it("fails the set-up under --deliver new, saying it needs --deliver all", async () => {
    const wanted = randomNames("new", false);
    await jsm.streams.add({
      name: wanted.stream,
      subjects: wanted.subjects,
      retention: RetentionPolicy.Workqueue,
    });
    await expect(ensureJetStream(jsm, wanted, 30_000)).rejects.toThrow(
      `stream ${wanted.stream} has work-queue retention, which needs --deliver all`,
    );
  });

  it("is read from its first event under --deliver all, also by a re-created consumer", async () => {
    const wanted = randomNames("all", false);
    await jsm.streams.add({
      name: wanted.stream,
      subjects: wanted.subjects,
      retention: RetentionPolicy.Workqueue,
    });
    const resume = await ensureJetStream(jsm, wanted, 30_000);
    await jsm.consumers.delete(wanted.stream, wanted.consumer);
    await ensureJetStream(jsm, wanted, 30_000, { resume });
    const { config } = await jsm.consumers.info(wanted.stream, wanted.consumer);
    expect(config.deliver_policy).toBe(DeliverPolicy.All);
  });
});

describe("--deliver all with an existing consumer that starts elsewhere", () => {
  it("is warned about once, with how to get a re-read", async () => {
    const wanted = randomNames("new");
    // An existing stream: a consumer created under --deliver new starts at its end.
    await jsm.streams.add({ name: wanted.stream, subjects: wanted.subjects });
    await ensureJetStream(jsm, wanted, 30_000);
    const { log, lines } = capturingLogger();
    const setupLog = onceLog(log);
    const all = { ...wanted, deliver: "all" as const };
    await ensureJetStream(jsm, all, 30_000, {}, setupLog);
    await ensureJetStream(jsm, all, 30_000, {}, setupLog);
    const warnings = otherWarnings(lines);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        `consumer ${wanted.consumer} on stream ${wanted.stream} exists with deliver policy new: ` +
          `--deliver applies only to a consumer hookswitch creates.*delete the consumer.*` +
          `a new --consumer name`,
      ),
    );
  });

  it("is not warned about once hookswitch re-created a lost consumer where it was", async () => {
    const wanted = randomNames("all");
    await jsm.streams.add({ name: wanted.stream, subjects: wanted.subjects });
    await jetstream(nc).publish(wanted.subjects[0]!.replace(">", "a"), "x");
    const resume = await ensureJetStream(jsm, wanted, 30_000);
    // Lost while running: the recovery re-creates it at its ack floor, not at "all".
    await jsm.consumers.delete(wanted.stream, wanted.consumer);
    await ensureJetStream(jsm, wanted, 30_000, { resume });
    const policy = (await jsm.consumers.info(wanted.stream, wanted.consumer)).config.deliver_policy;
    expect(policy).not.toBe("all");
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, wanted, 30_000, {}, onceLog(log));
    expect(otherWarnings(lines)).toEqual([]);
  });

  it("is not warned about again in a recovery, which finds the consumer as it was", async () => {
    const wanted = randomNames("new");
    await jsm.streams.add({ name: wanted.stream, subjects: wanted.subjects });
    const resume = await ensureJetStream(jsm, wanted, 30_000);
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, { ...wanted, deliver: "all" }, 30_000, { resume }, onceLog(log));
    expect(otherWarnings(lines)).toEqual([]);
  });

  it("is not warned about when the consumer already reads all", async () => {
    const wanted = randomNames("all");
    await ensureJetStream(jsm, wanted, 30_000);
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, wanted, 30_000, {}, onceLog(log));
    expect(otherWarnings(lines)).toEqual([]);
  });
});

describe("hookswitch's own streams with a limit at which NATS drops records", () => {
  it("lose the limit at set-up, said once in a warning", async () => {
    await ensureJetStream(jsm, randomNames("new"), 30_000);
    await jsm.streams.update("HOOKSWITCH_DLQ", { max_msgs: 10 });
    const { log, lines } = capturingLogger();
    const setupLog = onceLog(log);
    await ensureJetStream(jsm, randomNames("new"), 30_000, {}, setupLog);
    await ensureJetStream(jsm, randomNames("new"), 30_000, {}, setupLog);
    expect(otherWarnings(lines)).toEqual([
      expect.stringMatching(
        /^stream HOOKSWITCH_DLQ had max_msgs 10 \(discard old\), .*hookswitch removed this limit/,
      ),
    ]);
    expect((await jsm.streams.info("HOOKSWITCH_DLQ")).config.max_msgs).toBe(-1);
  });
});

describe("an event stream with no limits", () => {
  it("is warned of once, created by hookswitch, as it grows until NATS runs out of storage", async () => {
    const wanted = randomNames("new");
    const { log, lines } = capturingLogger();
    const setupLog = onceLog(log);
    await ensureJetStream(jsm, wanted, 30_000, {}, setupLog);
    await ensureJetStream(jsm, wanted, 30_000, {}, setupLog);
    expect(said(lines, "warn").filter((line) => line.includes(wanted.stream))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^stream ${wanted.stream} has no max age, message or byte limit: it keeps every ` +
            "event, acknowledged ones too, .* set a max age .*; hookswitch leaves the stream as it is$",
        ),
      ),
    ]);
  });

  it("is created with --stream-max-age's limit instead, then only told of at info", async () => {
    const wanted = { ...randomNames("new"), streamMaxAgeMs: 7 * 86_400_000 };
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, wanted, 30_000, {}, onceLog(log));
    const { config } = await jsm.streams.info(wanted.stream);
    expect(config).toMatchObject({ max_age: nanos(7 * 86_400_000), discard: DiscardPolicy.Old });
    expect(said(lines, "warn").filter((line) => line.includes(wanted.stream))).toEqual([]);
    expect(said(lines, "info").filter((line) => line.includes(wanted.stream))).toEqual([
      expect.stringMatching(
        /^stream .* has a max age of 168h with discard old: events not delivered within these limits are dropped unread/,
      ),
    ]);
  });

  it("says --stream-max-age leaves a stream that exists as it is, and not when it has that age", async () => {
    const wanted = { ...randomNames("new"), streamMaxAgeMs: 7 * 86_400_000 };
    await jsm.streams.add({ name: wanted.stream, subjects: wanted.subjects });
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, wanted, 30_000, {}, onceLog(log));
    expect(said(lines, "warn").filter((line) => line.includes("--stream-max-age ("))).toEqual([
      `stream ${wanted.stream} exists with no max age: --stream-max-age (HOOKSWITCH_STREAM_MAX_AGE) applies only to a stream hookswitch creates; change the stream itself to change its max age`,
    ]);

    const created = { ...randomNames("new"), streamMaxAgeMs: 7 * 86_400_000 };
    const again = capturingLogger();
    await ensureJetStream(jsm, created, 30_000, {}, onceLog(again.log));
    await ensureJetStream(jsm, created, 30_000, {}, onceLog(again.log));
    expect(said(again.lines, "warn").filter((line) => line.includes("--stream-max-age ("))).toEqual(
      [],
    );
  });

  it("is warned of when operations created it so", async () => {
    const wanted = randomNames("new");
    await jsm.streams.add({ name: wanted.stream, subjects: wanted.subjects });
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, wanted, 30_000, {}, onceLog(log));
    expect(said(lines, "warn").filter((line) => line.includes(wanted.stream))).toEqual([
      expect.stringMatching(/no max age.*; hookswitch leaves the stream as it is$/),
    ]);
  });
});

describe("an event consumer with settings hookswitch never sets", () => {
  it("loses limits on pull requests, headers-only delivery and a deletion when unused at set-up", async () => {
    const wanted = randomNames("all");
    await ensureJetStream(jsm, wanted, 30_000);
    await jsm.consumers.update(wanted.stream, wanted.consumer, {
      max_batch: 10,
      max_expires: nanos(1_000),
      max_bytes: 1_024,
      headers_only: true,
      inactive_threshold: nanos(60_000),
    });
    await ensureJetStream(jsm, wanted, 30_000);
    const { config } = await jsm.consumers.info(wanted.stream, wanted.consumer);
    const { max_batch, max_expires, max_bytes, headers_only, inactive_threshold } = config;
    expect({ max_batch, max_expires, max_bytes, headers_only, inactive_threshold }).toEqual({});
  });
});

describe("a start with other --subjects than the consumer's filter", () => {
  /** Publishes events on `subject` and acknowledges the first `acked` of them through the consumer. */
  async function eventsWithFirstAcked(wanted: JetStreamNames, subject: string, acked: number) {
    const js = jetstream(nc);
    for (let i = 0; i < 4; i++) await js.publish(subject, `{"n":${i}}`);
    const consumer = await js.consumers.get(wanted.stream, wanted.consumer);
    const batch = await consumer.fetch({ max_messages: acked, expires: 2_000 });
    for await (const msg of batch) await msg.ackAck();
  }

  async function readAll(wanted: JetStreamNames): Promise<number[]> {
    const consumer = await jetstream(nc).consumers.get(wanted.stream, wanted.consumer);
    const batch = await consumer.fetch({ max_messages: 10, expires: 1_000 });
    const seqs: number[] = [];
    for await (const msg of batch) seqs.push(msg.seq);
    return seqs;
  }

  it("creates the consumer again with the new filter from its first event not acknowledged, said in a warning", async () => {
    const wide = randomNames("all");
    const stream = wide.stream;
    await ensureJetStream(jsm, wide, 30_000);
    const narrowSubject = wide.subjects[0]!.replace(">", "acme.>");
    await eventsWithFirstAcked(wide, narrowSubject.replace(">", "x"), 2);

    const { log, lines } = capturingLogger();
    const narrow = { ...wide, subjects: [narrowSubject] };
    await ensureJetStream(jsm, narrow, 30_000, {}, onceLog(log));

    const { config } = await jsm.consumers.info(stream, wide.consumer);
    expect(config.filter_subject).toBe(narrowSubject);
    // An update in place would leave nats-server 2.9 matching nothing: none of these read.
    expect(await readAll(narrow)).toEqual([3, 4]);
    expect(otherWarnings(lines)).toEqual([
      `consumer ${wide.consumer} on stream ${stream} filters no subject (all of the stream), ` +
        `not what --subjects asks for: creating it again with the new filter from stream ` +
        `sequence 3, its first event not acknowledged (an event acknowledged after it may be sent again)`,
    ]);
  });

  it("drops a filter the same way, and reads an event the old filter never came to", async () => {
    const wide = randomNames("all");
    const narrowSubject = wide.subjects[0]!.replace(">", "acme.>");
    const narrow = { ...wide, subjects: [narrowSubject] };
    await jsm.streams.add({ name: wide.stream, subjects: wide.subjects });
    await ensureJetStream(jsm, narrow, 30_000);
    await jetstream(nc).publish(wide.subjects[0]!.replace(">", "globex.x"), "{}");
    await ensureJetStream(jsm, wide, 30_000);
    expect((await jsm.consumers.info(wide.stream, wide.consumer)).config.filter_subject ?? "").toBe(
      "",
    );
    expect(await readAll(wide)).toEqual([1]);
  });

  it("keeps another hookswitch's filter when set up again after the consumer was lost", async () => {
    const wide = randomNames("all");
    const narrowSubject = wide.subjects[0]!.replace(">", "acme.>");
    const resume = await ensureJetStream(jsm, wide, 30_000);
    // Another replica, started with other --subjects, created it again meanwhile.
    await ensureJetStream(jsm, { ...wide, subjects: [narrowSubject] }, 30_000);
    const before = await jsm.consumers.info(wide.stream, wide.consumer);
    await ensureJetStream(jsm, wide, 30_000, { resume });
    const after = await jsm.consumers.info(wide.stream, wide.consumer);
    expect(after.config.filter_subject).toBe(narrowSubject);
    expect(after.created).toBe(before.created);
  });

  it("does not send a stream's history again for a consumer under --deliver new that was given nothing", async () => {
    const wide = randomNames("new");
    await jsm.streams.add({ name: wide.stream, subjects: wide.subjects });
    const subject = wide.subjects[0]!.replace(">", "acme.x");
    for (let i = 0; i < 3; i++) await jetstream(nc).publish(subject, "{}");
    await ensureJetStream(jsm, wide, 30_000);
    await ensureJetStream(
      jsm,
      { ...wide, subjects: [wide.subjects[0]!.replace(">", "acme.>")] },
      30_000,
    );
    expect(await readAll(wide)).toEqual([]);
    await jetstream(nc).publish(subject, "{}");
    expect(await readAll(wide)).toEqual([4]);
  });

  it("writes where the consumer starts again before deleting it, and removes that once it is created", async () => {
    const wide = randomNames("all");
    const seen: string[] = [];
    // Listening from the first set-up on: its advisory may come after it has returned.
    const advisories = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.*.${wide.stream}.*`, {
      callback: (_err, msg) => {
        seen.push(msg.subject.split(".").slice(4).join(" "));
      },
    });
    await nc.flush();
    await ensureJetStream(jsm, wide, 30_000);
    await ensureJetStream(
      jsm,
      { ...wide, subjects: [wide.subjects[0]!.replace(">", "acme.>")] },
      30_000,
    );
    await nc.flush();
    advisories.unsubscribe();
    const [consumer, bookmark] = [wide.consumer, bookmarkName(wide.consumer)];
    // A stop at any point between these leaves the start on NATS, or the consumer itself.
    expect(seen).toEqual([
      `CREATED ${wide.stream} ${consumer}`,
      `CREATED ${wide.stream} ${bookmark}`,
      `DELETED ${wide.stream} ${consumer}`,
      `CREATED ${wide.stream} ${consumer}`,
      `DELETED ${wide.stream} ${bookmark}`,
    ]);
  });

  it("creates a consumer that a stopped hookswitch deleted to change its filter where it was to start, said in a warning", async () => {
    const wide = randomNames("new");
    await jsm.streams.add({ name: wide.stream, subjects: wide.subjects });
    await ensureJetStream(jsm, wide, 30_000);
    const narrowSubject = wide.subjects[0]!.replace(">", "acme.>");
    await eventsWithFirstAcked(wide, narrowSubject.replace(">", "x"), 2);
    // What a hookswitch stopped (killed) just after deleting it left behind.
    const narrow = { ...wide, subjects: [narrowSubject] };
    const { config } = await jsm.consumers.info(wide.stream, wide.consumer);
    await writeBookmark(jsm, wide.stream, {
      ...config,
      durable_name: wide.consumer,
      filter_subject: narrowSubject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 3,
    });
    await jsm.consumers.delete(wide.stream, wide.consumer);

    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, narrow, 30_000, {}, onceLog(log));
    // Under --deliver new it would start after the last event: none of these.
    expect(await readAll(narrow)).toEqual([3, 4]);
    expect(await consumerNames(wide.stream)).toEqual([wide.consumer]);
    expect(otherWarnings(lines)).toEqual([
      `consumer ${wide.consumer} on stream ${wide.stream} was deleted by a hookswitch to ` +
        `change its filter and not created again (that hookswitch stopped in between, or the ` +
        `creation failed): it starts at stream sequence 3, where it was meant to (kept in ` +
        `${wide.consumer}_bookmark, now removed)`,
    ]);
  });

  it("says nothing in a recovery of the bookmark it creates the consumer from", async () => {
    const wide = randomNames("new");
    await jsm.streams.add({ name: wide.stream, subjects: wide.subjects });
    const resume = await ensureJetStream(jsm, wide, 30_000);
    await eventsWithFirstAcked(wide, wide.subjects[0]!.replace(">", "x"), 2);
    // The consumer guard's own, written as it deletes the consumer to put its filter back.
    const { config } = await jsm.consumers.info(wide.stream, wide.consumer);
    await writeBookmark(jsm, wide.stream, {
      ...config,
      durable_name: wide.consumer,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 3,
    });
    await jsm.consumers.delete(wide.stream, wide.consumer);

    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, wide, 30_000, { resume }, onceLog(log));
    expect(await readAll(wide)).toEqual([3, 4]);
    expect(await readBookmark(jsm, wide.stream, wide.consumer)).toBeUndefined();
    expect(otherWarnings(lines)).toEqual([]);
  });

  it("leaves a fresh bookmark beside a consumer that exists: another replica's, written before it deletes the consumer", async () => {
    const wanted = randomNames("all");
    await ensureJetStream(jsm, wanted, 30_000);
    const before = await jsm.consumers.info(wanted.stream, wanted.consumer);
    const theirs = await writeBookmark(jsm, wanted.stream, {
      durable_name: wanted.consumer,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 7,
    });
    const { log, lines } = capturingLogger();
    await ensureJetStream(jsm, wanted, 30_000, {}, onceLog(log));
    expect(await readBookmark(jsm, wanted.stream, wanted.consumer)).toEqual(theirs);
    expect((await jsm.consumers.info(wanted.stream, wanted.consumer)).created).toBe(before.created);
    expect(otherWarnings(lines)).toEqual([]);
  });

  it("removes a bookmark beside a consumer that exists once it is stale: the replica that wrote it is gone", async () => {
    const wanted = randomNames("all");
    await ensureJetStream(jsm, wanted, 30_000);
    const before = await jsm.consumers.info(wanted.stream, wanted.consumer);
    await writeBookmark(jsm, wanted.stream, {
      durable_name: wanted.consumer,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 7,
    });
    // Six minutes on, as this process sees it: the bookmark's replica stopped long ago.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 6 * 60_000 });
    try {
      await ensureJetStream(jsm, wanted, 30_000);
    } finally {
      vi.useRealTimers();
    }
    expect(await readBookmark(jsm, wanted.stream, wanted.consumer)).toBeUndefined();
    expect((await jsm.consumers.info(wanted.stream, wanted.consumer)).created).toBe(before.created);
  });

  it("removes a bookmark only while it is still the one it was told of", async () => {
    const wanted = randomNames("all");
    await ensureJetStream(jsm, wanted, 30_000);
    const start = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 3 };
    const mine = await writeBookmark(jsm, wanted.stream, {
      durable_name: wanted.consumer,
      ...start,
    });
    // Another replica's, written in its place meanwhile, stands: it is about to delete.
    const theirs = await writeBookmark(jsm, wanted.stream, {
      durable_name: wanted.consumer,
      ...start,
    });
    await dropBookmark(jsm, wanted.stream, wanted.consumer, mine.token);
    expect(await readBookmark(jsm, wanted.stream, wanted.consumer)).toEqual(theirs);
    await dropBookmark(jsm, wanted.stream, wanted.consumer, theirs.token);
    expect(await readBookmark(jsm, wanted.stream, wanted.consumer)).toBeUndefined();
  });

  it("leaves the consumer and another deployment's consumer of the bookmark's name as they are, saying why", async () => {
    const wide = randomNames("all");
    await ensureJetStream(jsm, wide, 30_000);
    const other = { ...wide, consumer: bookmarkName(wide.consumer) };
    await ensureJetStream(jsm, other, 30_000);
    const before = await jsm.consumers.info(wide.stream, other.consumer);
    const narrow = { ...wide, subjects: [wide.subjects[0]!.replace(">", "acme.>")] };
    await expect(ensureJetStream(jsm, narrow, 30_000)).rejects.toThrow(
      `cannot change the filter of consumer ${wide.consumer} on ${wide.stream}: hookswitch ` +
        `keeps where it starts again in a consumer named ${other.consumer}, and a consumer of ` +
        `that name exists that hookswitch did not write`,
    );
    expect(await consumerNames(wide.stream)).toEqual([wide.consumer, other.consumer]);
    expect(await jsm.consumers.info(wide.stream, other.consumer)).toMatchObject({
      created: before.created,
      config: { description: before.config.description },
    });
  });

  it("changes the filter of a consumer on a work queue, where no bookmark can stand", async () => {
    const wanted = randomNames("all", false);
    await jsm.streams.add({
      name: wanted.stream,
      subjects: wanted.subjects,
      retention: RetentionPolicy.Workqueue,
    });
    await ensureJetStream(jsm, wanted, 30_000);
    const narrowSubject = wanted.subjects[0]!.replace(">", "acme.>");
    await ensureJetStream(jsm, { ...wanted, subjects: [narrowSubject] }, 30_000);
    const { config } = await jsm.consumers.info(wanted.stream, wanted.consumer);
    expect([config.filter_subject, config.deliver_policy]).toEqual([
      narrowSubject,
      DeliverPolicy.All,
    ]);
    expect(await consumerNames(wanted.stream)).toEqual([wanted.consumer]);
  });

  async function consumerNames(stream: string): Promise<string[]> {
    const names: string[] = [];
    for await (const info of jsm.consumers.list(stream)) names.push(info.name);
    return names.sort();
  }
});

describe("a delivery consumer found with another filter", () => {
  it("is created again with its own, reading every retry already waiting", async () => {
    const wanted = randomNames("all");
    await ensureJetStream(jsm, wanted, 30_000);
    const name = deliveryConsumerName(wanted.consumer);
    const ack = await jetstream(nc).publish(deliverySubject(wanted.consumer, "crm"), "{}");
    // As an operator's edit (or an older layout) may leave it: reading other subjects.
    await jsm.consumers.delete(DELIVERY_STREAM, name);
    await jsm.consumers.add(DELIVERY_STREAM, {
      durable_name: name,
      filter_subject: `${deliveryFilter(wanted.consumer).slice(0, -1)}other`,
      ack_policy: AckPolicy.Explicit,
    });

    await ensureJetStream(jsm, wanted, 30_000);

    const { config } = await jsm.consumers.info(DELIVERY_STREAM, name);
    expect([config.filter_subject, config.deliver_policy]).toEqual([
      deliveryFilter(wanted.consumer),
      DeliverPolicy.All,
    ]);
    const consumer = await jetstream(nc).consumers.get(DELIVERY_STREAM, name);
    const batch = await consumer.fetch({ max_messages: 10, expires: 1_000 });
    const seqs: number[] = [];
    for await (const msg of batch) seqs.push(msg.seq);
    expect(seqs).toEqual([ack.seq]);
  });
});
