import { DeliverPolicy, RetentionPolicy, type StreamInfo } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import type { EnsuredStream } from "../../src/nats/event-stream.js";
import type { ResumePoint, SetupFrom } from "../../src/nats/setup.js";
import { firstUnacknowledged, refilterStart, startOf } from "../../src/nats/consumer-start.js";

describe("firstUnacknowledged: where a consumer created again starts", () => {
  it.each([
    ["a consumer that acknowledged everything it was given", 9, 9, 0, 10],
    ["one with events waiting for an acknowledgement", 5, 9, 2, 6],
    ["one with a single event waiting for an acknowledgement", 5, 6, 1, 6],
    ["one created at the end of a stream that was given nothing (--deliver new)", 0, 100, 0, 101],
    ["one on an empty stream", 0, 0, 0, 1],
    ["one whose floor is past what it reports given", 12, 9, 0, 13],
  ])("%s", (_title, floor, delivered, pending, expected) => {
    const info = {
      ack_floor: { stream_seq: floor, consumer_seq: 0 },
      delivered: { stream_seq: delivered, consumer_seq: 0 },
      num_ack_pending: pending,
    };
    expect(firstUnacknowledged(info)).toBe(expected);
  });
});

const CREATED = "2026-12-01T08:00:00Z";
const READ_AT = Date.parse("2026-12-05T10:00:00Z");
/** 30 s before a moment: the allowance for the clocks of NATS and of hookswitch. */
const lessMargin = (ms: number) => new Date(ms - 30_000).toISOString();

function streamInfo(
  retention: RetentionPolicy = RetentionPolicy.Limits,
  created = CREATED,
): StreamInfo {
  return { created, config: { retention } } as StreamInfo;
}

function ensured(created: boolean, info = streamInfo()): EnsuredStream {
  return { info, created, addedSubjects: [], replacedSubjects: [] };
}

const resumeAt = (streamCreated: string): ResumePoint => ({
  streamCreated,
  nextSeq: 42,
  readAt: READ_AT,
});

describe("startOf: where the event consumer created now starts", () => {
  it.each<[string, EnsuredStream, "all" | "new", SetupFrom, Record<string, unknown>]>([
    ["--deliver all, at first", ensured(false), "all", {}, {}],
    ["--deliver new on a stream that was there", ensured(false), "new", {}, {}],
    [
      "--deliver new on a stream this set-up created: all of it",
      ensured(true),
      "new",
      {},
      { deliver_policy: DeliverPolicy.All },
    ],
    [
      "--deliver new on a stream found after waiting for it: from when it was missing",
      ensured(false),
      "new",
      { missingSince: READ_AT },
      { deliver_policy: DeliverPolicy.StartTime, opt_start_time: lessMargin(READ_AT) },
    ],
    [
      "--deliver all on a stream found after waiting for it: all of it",
      ensured(false),
      "all",
      { missingSince: READ_AT },
      {},
    ],
    [
      "after a loss, on the same stream: where the lost consumer stood",
      ensured(false),
      "new",
      { resume: resumeAt(CREATED) },
      { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 42 },
    ],
    [
      "after a loss, on a stream this set-up created again: all of it",
      ensured(true, streamInfo(RetentionPolicy.Limits, "2026-12-05T11:00:00Z")),
      "all",
      { resume: resumeAt(CREATED) },
      { deliver_policy: DeliverPolicy.All },
    ],
    [
      "after a loss, on a stream someone else created again: from the last reading",
      ensured(false, streamInfo(RetentionPolicy.Limits, "2026-12-05T11:00:00Z")),
      "all",
      { resume: resumeAt(CREATED), missingSince: READ_AT + 60_000 },
      { deliver_policy: DeliverPolicy.StartTime, opt_start_time: lessMargin(READ_AT) },
    ],
    [
      "on a work queue, whatever came before: its first event",
      ensured(false, streamInfo(RetentionPolicy.Workqueue)),
      "new",
      { resume: resumeAt(CREATED) },
      { deliver_policy: DeliverPolicy.All },
    ],
  ])("%s", (_title, stream, deliver, from, expected) => {
    expect(startOf(stream, deliver, from)).toEqual(expected);
  });
});

describe("refilterStart: where the event consumer created again for a new filter starts", () => {
  const existing = {
    ack_floor: { stream_seq: 9, consumer_seq: 7 },
    delivered: { stream_seq: 12, consumer_seq: 10 },
    num_ack_pending: 3,
  } as Parameters<typeof refilterStart>[1];

  it("starts after the last acknowledged event of the consumer it replaces", () => {
    expect(refilterStart(streamInfo(), existing)).toEqual({
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 10,
    });
  });

  it("starts a work queue's at its first event, the only start NATS allows there", () => {
    expect(refilterStart(streamInfo(RetentionPolicy.Workqueue), existing)).toEqual({
      deliver_policy: DeliverPolicy.All,
    });
  });
});
