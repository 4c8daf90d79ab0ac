import {
  AckPolicy,
  jetstream,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "../../src/delivery/records.js";
import { NatsSetupError } from "../../src/errors.js";
import {
  DELIVERY_CONSUMER_DEFAULTS,
  EVENT_CONSUMER_DEFAULTS,
  deliveryConsumerConfig,
  ensureEventStream,
  ensureHookswitchStreams,
  ensurePullConsumer,
  eventConsumerConfig,
  PARKED_CONSUMER_IDLE_MS,
  parkedConsumerConfig,
} from "../../src/nats/streams.js";
import { subjectCovers, subjectFilter } from "../../src/nats/subjects.js";
import { useNatsWithClient } from "../support/nats-server.js";

let jsm: JetStreamManager;
let nc: NatsConnection;

useNatsWithClient("streams-test", (started) => ({ jsm, nc } = started));

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

describe("pull consumers", () => {
  it("are created once, left alone when unchanged, and updated when a changeable field changes", async () => {
    const { info: stream } = await ensureEventStream(jsm, {
      name: "EV4",
      subjects: ["ev4.>"],
      create: true,
    });
    const settings = {
      durable: "hs",
      deliver: "all" as const,
      subjects: ["ev4.>"],
      ...EVENT_CONSUMER_DEFAULTS,
    };
    const created = await ensurePullConsumer(jsm, "EV4", eventConsumerConfig(stream, settings));
    expect(created.config).toMatchObject({
      durable_name: "hs",
      ack_policy: "explicit",
      deliver_policy: "all",
      max_deliver: EVENT_CONSUMER_DEFAULTS.maxDeliver,
      max_ack_pending: EVENT_CONSUMER_DEFAULTS.maxAckPending,
      ack_wait: nanos(EVENT_CONSUMER_DEFAULTS.ackWaitMs),
    });
    expect(created.config.filter_subject ?? "").toBe("");

    const again = await ensurePullConsumer(jsm, "EV4", eventConsumerConfig(stream, settings));
    expect(again.created).toEqual(created.created);

    const tuned = { ...settings, deliver: "new" as const, maxDeliver: 7, ackWaitMs: 12_000 };
    const updated = await ensurePullConsumer(jsm, "EV4", eventConsumerConfig(stream, tuned));
    expect(updated.config.max_deliver).toBe(7);
    expect(updated.config.ack_wait).toBe(nanos(12_000));
    // Where an existing consumer starts cannot change; it keeps its position.
    expect(updated.config.deliver_policy).toBe("all");
    expect((await jsm.consumers.info("EV4", "hs")).config.max_deliver).toBe(7);
  });

  it("filter on our subject when the stream carries more", async () => {
    await jsm.streams.add({ name: "EV5", subjects: ["ev5.pbx.>", "ev5.other.>"] });
    const stream = await jsm.streams.info("EV5");
    const config = eventConsumerConfig(stream, {
      durable: "hs",
      deliver: "new",
      subjects: ["ev5.pbx.>"],
      ...EVENT_CONSUMER_DEFAULTS,
    });
    const info = await ensurePullConsumer(jsm, "EV5", config);
    expect(info.config.filter_subject).toBe("ev5.pbx.>");
  });

  it("drop their old filter when our subjects come to cover the stream", async () => {
    await jsm.streams.add({ name: "EV7", subjects: ["ev7.>"] });
    const stream = await jsm.streams.info("EV7");
    const settings = { durable: "hs", deliver: "new" as const, ...EVENT_CONSUMER_DEFAULTS };
    const narrow = eventConsumerConfig(stream, { ...settings, subjects: ["ev7.acme.>"] });
    expect((await ensurePullConsumer(jsm, "EV7", narrow)).config.filter_subject).toBe("ev7.acme.>");
    const wide = eventConsumerConfig(stream, { ...settings, subjects: ["ev7.>"] });
    const widened = await ensurePullConsumer(jsm, "EV7", wide);
    expect(widened.config.filter_subject ?? "").toBe("");
    // The same consumer, updated: an event beyond the old filter is now waiting for it.
    await jetstream(nc).publish("ev7.globex.x", "{}");
    expect((await jsm.consumers.info("EV7", "hs")).num_pending).toBe(1);
  });

  it("refuses a push consumer of the same name with a clear message", async () => {
    await jsm.streams.add({ name: "EV6", subjects: ["ev6.>"] });
    await jsm.consumers.add("EV6", {
      durable_name: "hs",
      deliver_subject: "push.here",
      ack_policy: AckPolicy.Explicit,
    });
    const stream = await jsm.streams.info("EV6");
    const config = eventConsumerConfig(stream, {
      durable: "hs",
      deliver: "new",
      subjects: ["ev6.>"],
      ...EVENT_CONSUMER_DEFAULTS,
    });
    await expect(ensurePullConsumer(jsm, "EV6", config)).rejects.toThrow(/push consumer/);
  });

  it("for deliveries is named after the event consumer and never drops a pending delivery", async () => {
    await ensureHookswitchStreams(jsm);
    const config = deliveryConsumerConfig({ consumer: "hs", ...DELIVERY_CONSUMER_DEFAULTS });
    const info = await ensurePullConsumer(jsm, DELIVERY_STREAM, config);
    expect(info.name).toBe("hs-deliveries");
    expect(info.config).toMatchObject({
      ack_policy: "explicit",
      deliver_policy: "all",
      max_deliver: -1,
    });
  });

  it("for parked deliveries are one per integration, beside the delivery consumer on the work queue", async () => {
    await ensureHookswitchStreams(jsm);
    await ensurePullConsumer(
      jsm,
      DELIVERY_STREAM,
      deliveryConsumerConfig({ consumer: "hs", ...DELIVERY_CONSUMER_DEFAULTS }),
    );
    // A work queue refuses consumers whose filters overlap: these three must not.
    const names = [];
    for (const integration of ["crm", "billing"]) {
      const config = parkedConsumerConfig({ consumer: "hs", integration, ackWaitMs: 90_000 });
      const info = await ensurePullConsumer(jsm, DELIVERY_STREAM, config);
      expect(info.config).toMatchObject({
        filter_subject: `hookswitch.parked.hs.${integration}`,
        deliver_policy: "all",
        max_deliver: -1,
        inactive_threshold: nanos(PARKED_CONSUMER_IDLE_MS),
      });
      names.push(info.name);
    }
    expect(names).toEqual(["hs_crm", "hs_billing"]);
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
