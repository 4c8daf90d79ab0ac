import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { NatsSetupError, StreamOverlapError, WorkQueueStreamError } from "../../src/errors.js";
import {
  ensureEventStream,
  eventStreamRisks,
  workQueueCheck,
} from "../../src/nats/event-stream.js";
import { useNatsWithClient } from "../support/nats-server.js";

let jsm: JetStreamManager;

useNatsWithClient("event-stream-test", (started) => ({ jsm } = started));

describe("the event stream", () => {
  it("is created with file storage when missing, and ensuring it twice changes nothing", async () => {
    const first = await ensureEventStream(jsm, { name: "EV1", subjects: ["ev1.>"], create: true });
    expect(first.created).toBe(true);
    expect(first.info.config.storage).toBe(StorageType.File);
    const second = await ensureEventStream(jsm, { name: "EV1", subjects: ["ev1.>"], create: true });
    expect(second).toMatchObject({ created: false, addedSubjects: [] });
    expect(second.info.config.subjects).toEqual(["ev1.>"]);
  });

  it("takes subjects its wildcards already carry as they are", async () => {
    await jsm.streams.add({ name: "EV8", subjects: ["ev8.>"] });
    const ensured = await ensureEventStream(jsm, {
      name: "EV8",
      subjects: ["ev8.acme.>"],
      create: true,
    });
    expect(ensured.addedSubjects).toEqual([]);
    expect((await jsm.streams.info("EV8")).config.subjects).toEqual(["ev8.>"]);
  });

  it("gets missing subjects added but keeps an operator's limits", async () => {
    await jsm.streams.add({ name: "EV2", subjects: ["ev2.a.>"], max_msgs: 1000 });
    const ensured = await ensureEventStream(jsm, {
      name: "EV2",
      subjects: ["ev2.a.>", "ev2.b.>"],
      create: true,
    });
    expect(ensured.addedSubjects).toEqual(["ev2.b.>"]);
    const info = await jsm.streams.info("EV2");
    expect(info.config.subjects).toEqual(["ev2.a.>", "ev2.b.>"]);
    expect(info.config.max_msgs).toBe(1000);
  });

  it("is used as it is when it exists and creation is off", async () => {
    await jsm.streams.add({ name: "EV3", subjects: ["ev3.other.>"] });
    const ensured = await ensureEventStream(jsm, {
      name: "EV3",
      subjects: ["ev3.>"],
      create: false,
    });
    expect(ensured.created).toBe(false);
    expect((await jsm.streams.info("EV3")).config.subjects).toEqual(["ev3.other.>"]);
  });

  it("fails with a message saying what to do when it is missing and creation is off", async () => {
    const attempt = ensureEventStream(jsm, { name: "NOPE", subjects: ["nope.>"], create: false });
    await expect(attempt).rejects.toThrow(NatsSetupError);
    await expect(attempt).rejects.toThrow(/stream NOPE does not exist .*--no-create-stream/);
    await expect(jsm.streams.info("NOPE")).rejects.toThrow(/not found/);
  });
});

describe("an existing event stream on a narrower subject than ours", () => {
  it("has that subject replaced by ours, and keeps its events and settings", async () => {
    await jsm.streams.add({ name: "EV9", subjects: ["ev9.acme.>"], max_msgs: 1000 });
    await jsm.jetstream().publish("ev9.acme.call", "an event from before");
    const ensured = await ensureEventStream(jsm, {
      name: "EV9",
      subjects: ["ev9.>"],
      create: true,
    });
    expect(ensured).toMatchObject({ addedSubjects: ["ev9.>"], replacedSubjects: ["ev9.acme.>"] });
    const info = await jsm.streams.info("EV9");
    expect(info.config.subjects).toEqual(["ev9.>"]);
    expect(info.config.max_msgs).toBe(1000);
    expect(info.state.messages).toBe(1);
    // Everything it carried before, and more.
    await jsm.jetstream().publish("ev9.acme.hangup", "{}");
    await jsm.jetstream().publish("ev9.globex.call", "{}");
    expect((await jsm.streams.info("EV9")).state.messages).toBe(3);
  });

  it("keeps its subjects that ours do not cover beside ours", async () => {
    await jsm.streams.add({ name: "EV10", subjects: ["ev10.a.x", "other10.>"] });
    const ensured = await ensureEventStream(jsm, {
      name: "EV10",
      subjects: ["ev10.*.x"],
      create: true,
    });
    expect(ensured.replacedSubjects).toEqual(["ev10.a.x"]);
    expect(ensured.info.config.subjects).toEqual(["other10.>", "ev10.*.x"]);
  });
});

describe("event stream subjects that another stream carries", () => {
  it("fail to create the stream with a message naming that stream and what to do", async () => {
    await jsm.streams.add({ name: "EVENTS11", subjects: ["ev11.>"] });
    const attempt = ensureEventStream(jsm, { name: "PBX11", subjects: ["ev11.>"], create: true });
    await expect(attempt).rejects.toThrow(StreamOverlapError);
    await expect(attempt).rejects.toThrow(
      /stream PBX11 cannot take subjects ev11\.>: stream EVENTS11 already carries .*--stream EVENTS11 \(HOOKSWITCH_STREAM\) and --no-create-stream .* or change --subjects/,
    );
  });

  it("fail to be added to an existing stream, naming the stream that has them", async () => {
    await jsm.streams.add({ name: "PBX12", subjects: ["ev12.a.>"] });
    await jsm.streams.add({ name: "OTHER12", subjects: ["ev12.b.>"] });
    const attempt = ensureEventStream(jsm, {
      name: "PBX12",
      subjects: ["ev12.a.>", "ev12.b.>"],
      create: true,
    });
    await expect(attempt).rejects.toThrow(/stream OTHER12 already carries .*--stream OTHER12/);
    expect((await jsm.streams.info("PBX12")).config.subjects).toEqual(["ev12.a.>"]);
  });
});

describe("an existing work-queue event stream", () => {
  it("is refused under --deliver new before anything in it changes", async () => {
    await jsm.streams.add({
      name: "WQ13",
      subjects: ["ev13.a.>"],
      retention: RetentionPolicy.Workqueue,
    });
    const attempt = ensureEventStream(jsm, {
      name: "WQ13",
      subjects: ["ev13.>"],
      create: true,
      deliver: "new",
    });
    await expect(attempt).rejects.toThrow(WorkQueueStreamError);
    expect((await jsm.streams.info("WQ13")).config.subjects).toEqual(["ev13.a.>"]);
  });
});

/** A stream's info as the server gives it, with the settings under test. */
function streamInfo(config: Partial<StreamConfig>): StreamInfo {
  return {
    config: {
      name: "PBX_EVENTS",
      subjects: ["pbx.>"],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: 0,
      max_msgs: -1,
      max_bytes: -1,
      ...config,
    },
  } as StreamInfo;
}

describe("the settings of an existing event stream", () => {
  it.each<[string, Partial<StreamConfig>, RegExp[]]>([
    [
      "file storage and limits retention without limits grow until storage runs out",
      {},
      [
        /has no max age, message or byte limit: it keeps every event, acknowledged ones too, and grows until NATS runs out of storage, when every publish fails; set a max age/,
      ],
    ],
    [
      "memory storage loses events when NATS restarts",
      { storage: StorageType.Memory, max_age: nanos(60_000) },
      [/memory storage: .*lost when NATS restarts/, /max age of 1m with discard old/],
    ],
    ["a max age alone is only told", { max_age: nanos(3_600_000) }, [/max age of 1h/]],
    [
      "interest retention drops events while no consumer exists",
      { retention: RetentionPolicy.Interest },
      [
        /interest retention: events published while no hookswitch consumer exists are dropped at once, and an acknowledged event is gone for good/,
      ],
    ],
    [
      "a max age with discard old drops late events",
      { max_age: nanos(3_600_000) },
      [/a max age of 1h with discard old: events not delivered within these limits are dropped/],
    ],
    [
      "message and byte limits are named together",
      { max_msgs: 1000, max_bytes: 5000 },
      [/a limit of 1000 messages, a limit of 5000 bytes with discard old/],
    ],
    [
      "a per-subject limit drops a service's unread events, apart from the other limits",
      { max_msgs_per_subject: 1, max_age: nanos(2_000) },
      [
        /at most 1 message per subject: events of one service and type share a subject, so the earlier ones are dropped unread when more arrive before hookswitch reads them \(a bulk import\)/,
        /has a max age of 2s with discard old: events not delivered/,
      ],
    ],
    [
      "a per-subject limit with discard new per subject refuses a service's next events",
      { max_msgs_per_subject: 5, discard: DiscardPolicy.New, discard_new_per_subject: true },
      [
        /at most 5 messages per subject with discard new per subject: .* refused at publish/,
        /no max age, message or byte limit/,
      ],
    ],
    [
      "a message limit with discard new fills once and refuses every publish",
      { max_msgs: 1000, discard: DiscardPolicy.New },
      [
        /a limit of 1000 messages with discard new and limits retention: acknowledged events are not removed from it, so once full it refuses every publish for good: set a max age .* or a larger limit/,
      ],
    ],
    [
      "a byte limit with discard new and a max age refuses publishes until events expire",
      { max_bytes: 5000, max_age: nanos(3_600_000), discard: DiscardPolicy.New },
      [
        /a limit of 5000 bytes with discard new .* until events older than its max age of 1h expire/,
      ],
    ],
    [
      "limits with discard new on interest retention remove delivered events: no filling",
      { retention: RetentionPolicy.Interest, max_msgs: 1000, discard: DiscardPolicy.New },
      [/interest retention/],
    ],
    [
      "each lossy setting is named",
      { storage: StorageType.Memory, retention: RetentionPolicy.Interest, max_age: nanos(60_000) },
      [/memory storage/, /interest retention/, /max age of 1m/],
    ],
  ])("%s", (_what, config, expected) => {
    const risks = eventStreamRisks(streamInfo(config));
    expect(risks).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(risks[i]?.text).toMatch(pattern));
  });

  it("warns of storage and retention, and only tells of limits, which operations should set", () => {
    const levels = eventStreamRisks(
      streamInfo({ storage: StorageType.Memory, retention: RetentionPolicy.Interest, max_msgs: 9 }),
    ).map((risk) => risk.level);
    expect(levels).toEqual(["warn", "warn", "info"]);
  });

  it("warns of per-subject limits and of limits that fill, and only tells of the others", () => {
    const levels = (config: Partial<StreamConfig>) =>
      eventStreamRisks(streamInfo(config)).map((risk) => risk.level);
    expect(levels({ max_msgs_per_subject: 1, max_age: nanos(2_000) })).toEqual(["warn", "info"]);
    expect(levels({ max_msgs: 9, discard: DiscardPolicy.New })).toEqual(["warn"]);
  });

  it("with work-queue retention need --deliver all, said in hookswitch's terms", () => {
    const workQueue = streamInfo({ retention: RetentionPolicy.Workqueue });
    expect(() => workQueueCheck(workQueue, "new")).toThrow(WorkQueueStreamError);
    expect(() => workQueueCheck(workQueue, "new")).toThrow(
      /PBX_EVENTS has work-queue retention, which needs --deliver all.*no other consumer may read the same subjects/,
    );
    expect(() => workQueueCheck(workQueue, "all")).not.toThrow();
    expect(() => workQueueCheck(streamInfo({}), "new")).not.toThrow();
  });
});
