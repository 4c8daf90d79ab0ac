import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { WorkQueueStreamError } from "../../src/errors.js";
import { workQueueCheck } from "../../src/nats/event-stream.js";
import { eventStreamRisks } from "../../src/nats/event-stream-risks.js";

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
        /has no max age, message or byte limit: it keeps every event, acknowledged ones too, and grows until NATS runs out of storage, when every publish fails; set a max age .*: --stream-max-age 7d when hookswitch creates the stream, or on the stream itself once it exists$/,
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
      "a byte limit alone bounds the stream",
      { max_bytes: 5000 },
      [/has a limit of 5000 bytes with discard old/],
    ],
    [
      "a per-subject limit with discard new, but not per subject, drops a service's unread events",
      { max_msgs_per_subject: 5, discard: DiscardPolicy.New },
      [/at most 5 messages per subject: .* dropped unread/, /no max age, message or byte limit/],
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
      "message and byte limits with discard new are named together",
      { max_msgs: 1000, max_bytes: 5000, discard: DiscardPolicy.New },
      [/a limit of 1000 messages, a limit of 5000 bytes with discard new and limits retention/],
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
    expect(levels({})).toEqual(["warn"]); // no limit at all
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
