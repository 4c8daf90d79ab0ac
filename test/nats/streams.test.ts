import { RetentionPolicy, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "../../src/delivery/records.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { subjectCovers, subjectFilter } from "../../src/nats/subjects.js";
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
    ["pbx.acme.>", "pbx.>", false],
    ["a.b", "a.b", true],
    ["a.b", "a.c", false],
    [">", "anything.at.all", true],
  ])("%s covers %s: %s", (pattern, subject, covers) => {
    expect(subjectCovers(pattern, subject)).toBe(covers);
  });
});
