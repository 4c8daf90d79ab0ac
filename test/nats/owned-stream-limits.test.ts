import { DiscardPolicy } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import {
  ownedStreamLimits,
  removedLimitsText,
  type OwnedStreamLimits,
} from "../../src/nats/owned-stream-limits.js";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";

type Limits = Parameters<typeof ownedStreamLimits>[0];

describe("ownedStreamLimits: the limits of an owned stream, by whether NATS drops records at them", () => {
  const none = { max_age: 0, max_msgs: -1, max_bytes: -1, max_msgs_per_subject: -1 };
  const old = { ...none, discard: DiscardPolicy.Old };
  const fresh = { ...none, discard: DiscardPolicy.New };
  it.each<[string, Limits, OwnedStreamLimits]>([
    [
      "-1 and 0 both mean none",
      { ...old, max_msgs: 0, max_bytes: 0, max_msgs_per_subject: 0 },
      { dropping: [], removal: {}, refusing: [] },
    ],
    [
      "no per-subject limit where the server shows none at all",
      { max_age: 0, max_msgs: -1, max_bytes: -1, discard: DiscardPolicy.Old } as Limits,
      { dropping: [], removal: {}, refusing: [] },
    ],
    [
      "a message limit with no discard policy shown drops, as NATS's default (discard old) does",
      { ...none, max_msgs: 10 } as Limits,
      { dropping: ["max_msgs 10"], removal: { max_msgs: -1 }, refusing: [] },
    ],
    ["none lose nothing", old, { dropping: [], removal: {}, refusing: [] }],
    [
      "a max age drops records with discard old",
      { ...old, max_age: nanos(2_000) },
      { dropping: ["max_age 2s"], removal: { max_age: 0 }, refusing: [] },
    ],
    [
      "a max age drops records with discard new too",
      { ...fresh, max_age: nanos(60_000) },
      { dropping: ["max_age 1m"], removal: { max_age: 0 }, refusing: [] },
    ],
    [
      "message, byte and per-subject limits drop the oldest with discard old",
      { ...old, max_msgs: 10, max_bytes: 4096, max_msgs_per_subject: 1 },
      {
        dropping: ["max_msgs 10", "max_bytes 4096", "max_msgs_per_subject 1"],
        removal: { max_msgs: -1, max_bytes: -1, max_msgs_per_subject: -1 },
        refusing: [],
      },
    ],
    [
      "message and byte limits refuse writes with discard new",
      { ...fresh, max_msgs: 10, max_bytes: 4096 },
      { dropping: [], removal: {}, refusing: ["max_msgs 10", "max_bytes 4096"] },
    ],
    [
      "a per-subject limit drops the oldest with discard new not per subject",
      { ...fresh, max_msgs_per_subject: 5 },
      { dropping: ["max_msgs_per_subject 5"], removal: { max_msgs_per_subject: -1 }, refusing: [] },
    ],
    [
      "a per-subject limit refuses writes with discard new per subject",
      { ...fresh, max_msgs_per_subject: 5, discard_new_per_subject: true },
      { dropping: [], removal: {}, refusing: ["max_msgs_per_subject 5"] },
    ],
  ])("%s", (_what, config, expected) => {
    expect(ownedStreamLimits(config)).toEqual(expected);
  });
});

describe("removedLimitsText: the warning for limits removed", () => {
  const limits = (dropping: string[]): OwnedStreamLimits => ({
    dropping,
    removal: {},
    refusing: [],
  });

  it("says 'these limits' of two", () => {
    expect(
      removedLimitsText(DEAD_LETTER_STREAM, limits(["max_msgs 10", "max_bytes 4096"])),
    ).toContain(
      "had max_msgs 10, max_bytes 4096 (discard old), at which NATS drops records unread, and each is a dead letter, which leaves only by dlq replay or dlq purge: hookswitch removed these limits so no work is lost",
    );
  });

  it("says what a record is of a stream it does not know by name", () => {
    expect(removedLimitsText("OTHER", limits(["max_age 1h"]))).toContain(
      "stream OTHER had max_age 1h, at which NATS drops records unread, and each is work nothing else keeps: hookswitch removed this limit",
    );
  });
});
