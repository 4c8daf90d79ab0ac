import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  type ConsumerInfo,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { NOT_SET, consumerDrift } from "../../src/nats/consumer-changes.js";
import {
  consumerInfoOrNull,
  DELIVERY_CONSUMER_DEFAULTS,
  EVENT_CONSUMER_DEFAULTS,
  deliveryConsumerConfig,
  ensurePullConsumer,
  eventConsumerConfig,
  isConsumerInfo,
  PARKED_CONSUMER_IDLE_MS,
  parkedConsumerConfig,
} from "../../src/nats/durable-consumers.js";
import { ensureEventStream } from "../../src/nats/event-stream.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { useNatsWithClient, withInfoOfNoConsumer } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";

let jsm: JetStreamManager;
let nc: NatsConnection;

useNatsWithClient("durable-consumers-test", (started) => ({ jsm, nc } = started));

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

  it("keep their filter unless told where to start again, and are created again with the new one then", async () => {
    await jsm.streams.add({ name: "EV7", subjects: ["ev7.>"] });
    const stream = await jsm.streams.info("EV7");
    const settings = { durable: "hs", deliver: "new" as const, ...EVENT_CONSUMER_DEFAULTS };
    const narrow = eventConsumerConfig(stream, { ...settings, subjects: ["ev7.acme.>"] });
    expect((await ensurePullConsumer(jsm, "EV7", narrow)).config.filter_subject).toBe("ev7.acme.>");
    const wide = eventConsumerConfig(stream, { ...settings, subjects: ["ev7.>"], maxDeliver: 9 });
    const kept = await ensurePullConsumer(jsm, "EV7", wide);
    expect(kept.config).toMatchObject({ filter_subject: "ev7.acme.>", max_deliver: 9 });

    const refilterFrom = () => ({ deliver_policy: DeliverPolicy.All });
    const widened = await ensurePullConsumer(jsm, "EV7", wide, { refilterFrom });
    expect(widened.config.filter_subject ?? "").toBe("");
    expect(widened.created).not.toBe(kept.created);
    await jetstream(nc).publish("ev7.globex.x", "{}");
    // A consumer's count can lag the publish's acknowledgement (seen once, on nats-server 2.10).
    const pending = () => jsm.consumers.info("EV7", "hs").then((info) => info.num_pending);
    await waitFor(async () => (await pending()) === 1, { what: "the message pending" });
    expect(await pending()).toBe(1);
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
      const config = parkedConsumerConfig({
        consumer: "hs",
        integration,
        ackWaitMs: 90_000,
        serverVersion: "2.10.27",
      });
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

describe("a parked deliveries' consumer", () => {
  it.each([
    ["2.9.10", 0],
    ["2.10.26", 0],
    [undefined, 0],
    ["2.10.27", PARKED_CONSUMER_IDLE_MS],
    ["2.11.4", PARKED_CONSUMER_IDLE_MS],
  ])("on nats-server %s is removed by NATS after %d ms unused (0: kept)", (version, idleMs) => {
    const config = parkedConsumerConfig({
      consumer: "hs",
      integration: "crm",
      ackWaitMs: 90_000,
      serverVersion: version,
    });
    expect(config.inactive_threshold).toBe(nanos(idleMs));
  });
});

describe("a consumer info answer that describes no consumer", () => {
  it("counts as a missing consumer, as nats-server 2.9 answers one that races a deletion", async () => {
    await withInfoOfNoConsumer("EV", "going", async (infoOfNone) => {
      expect(await consumerInfoOrNull(infoOfNone, "EV", "going")).toBeNull();
    });
  });

  it.each([
    [{}, false],
    [{ type: "io.nats.jetstream.api.v1.consumer_info_response" }, false],
    [{ config: { ack_policy: "explicit" } }, false],
    [{ config: { ack_policy: "explicit" }, ack_floor: { stream_seq: 0, consumer_seq: 0 } }, true],
  ])("%j is a consumer's info: %s", (answer, expected) => {
    expect(isConsumerInfo(answer as Partial<ConsumerInfo>)).toBe(expected);
  });
});

describe("a consumer's drift from the config hookswitch sets", () => {
  const wanted = {
    durable_name: "hookswitch",
    ack_wait: nanos(30_000),
    max_deliver: 20,
    max_ack_pending: 1_024,
    ...NOT_SET,
  };
  // As NATS shows a consumer: the settings it does not have are left out.
  const current = {
    durable_name: "hookswitch",
    ack_wait: nanos(30_000),
    max_deliver: 20,
    max_ack_pending: 1_024,
    ack_policy: AckPolicy.Explicit,
  } as ConsumerInfo["config"];

  it.each([
    ["nothing, as set", {}, []],
    [
      "a shorter ack wait",
      { ack_wait: nanos(2_000) },
      [{ field: "ack_wait", from: nanos(2_000), to: nanos(30_000) }],
    ],
    [
      "a filter where none is wanted",
      { filter_subject: "pbx.nothing.>" },
      [{ field: "filter_subject", from: "pbx.nothing.>", to: undefined }],
    ],
    [
      "max_deliver and max_ack_pending",
      { max_deliver: 3, max_ack_pending: 1 },
      [
        { field: "max_deliver", from: 3, to: 20 },
        { field: "max_ack_pending", from: 1, to: 1_024 },
      ],
    ],
    // Set only at creation (where to start): not an edit to undo.
    ["a start sequence", { opt_start_seq: 7 }, []],
    [
      "limits on pull requests, which refuse the loops' pulls",
      { max_batch: 10, max_expires: nanos(1_000), max_bytes: 1_024 },
      [
        { field: "max_batch", from: 10, to: 0 },
        { field: "max_expires", from: nanos(1_000), to: 0 },
        { field: "max_bytes", from: 1_024, to: 0 },
      ],
    ],
    [
      "messages sent without their bodies",
      { headers_only: true },
      [{ field: "headers_only", from: true, to: false }],
    ],
    [
      "a time after which NATS deletes it unused",
      { inactive_threshold: nanos(60_000) },
      [{ field: "inactive_threshold", from: nanos(60_000), to: 0 }],
    ],
  ])("finds %s", (_what, edit, drift) => {
    expect(consumerDrift({ ...current, ...edit }, wanted)).toEqual(drift);
  });

  it("finds filters of several subjects removed (NATS 2.10 and later keep them)", () => {
    const several = { ...wanted, filter_subjects: ["pbx.a.>", "pbx.b.>"] };
    expect(consumerDrift(current, several)).toEqual([
      { field: "filter_subjects", from: undefined, to: ["pbx.a.>", "pbx.b.>"] },
    ]);
  });

  it("finds a filter changed from the one wanted", () => {
    const filtered = { ...wanted, filter_subject: "pbx.>" };
    expect(consumerDrift({ ...current, filter_subject: "pbx.x.>" }, filtered)).toEqual([
      { field: "filter_subject", from: "pbx.x.>", to: "pbx.>" },
    ]);
  });
});
