import { AckPolicy, jetstream, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { handleEventMessage, type HandlerDeps } from "../../src/delivery/event-handler.js";
import { handleDeliveryMessage } from "../../src/delivery/delivery-handler.js";
import { type DeliveryRecord } from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM, deliverySubject } from "../../src/nats/layout.js";
import { RequestSlots } from "../../src/delivery/concurrency/request-slots.js";
import { buildSnapshot } from "../../src/delivery/snapshot.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { realDeliveryParts } from "../support/delivery-parts.js";
import { useNatsWithClient } from "../support/nats-server.js";

const STREAM = "HANDLER_TEST_EVENTS";
const CONSUMER = "handler-test";

let nc: NatsConnection;
let jsm: JetStreamManager;

useNatsWithClient("handlers-test", (started) => ({ nc, jsm } = started));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  for (const name of [STREAM, DEAD_LETTER_STREAM]) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
});

/** The handler's parts, all real, with no integration loaded: no event is delivered. */
function handlerDeps(
  options: { heldBack?: { any: boolean; names: ReadonlySet<string> }; now?: number } = {},
): HandlerDeps {
  const snapshot = buildSnapshot([], options.heldBack);
  return realDeliveryParts({
    nc,
    jsm,
    consumer: "hookswitch",
    config: () => snapshot,
    requests: new RequestSlots(1),
    ...(options.now === undefined ? {} : { now: options.now }),
    cleanups,
  }).handlers;
}

/** The next delivery of the stream's message to the test consumer. */
async function nextDelivery(): Promise<JsMsg> {
  const consumer = await jetstream(nc).consumers.get(STREAM, CONSUMER);
  const msg = await consumer.next({ expires: 5_000 });
  if (!msg) throw new Error("no message delivered within 5 s");
  return msg;
}

describe("handleEventMessage with a message that is not an event", () => {
  it("dead-letters it once, however often the message comes", async () => {
    await ensureHookswitchStreams(jsm);
    await jsm.streams.add({ name: STREAM, subjects: ["pbx.>"] });
    await jsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit });
    await jetstream(nc).publish("pbx.acme.mycloudpbx.x.user.created", "not JSON");
    const deps = handlerDeps();

    // Delivered again, as after a crash that came before its ack.
    const first = await nextDelivery();
    expect(await handleEventMessage(deps, first)).toEqual({ action: "ack" });
    first.nak();
    const again = await nextDelivery();
    expect(again.info.deliveryCount).toBe(2);
    expect(await handleEventMessage(deps, again)).toEqual({ action: "ack" });
    again.ack();

    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(1);
  });
});

describe("handleDeliveryMessage for an integration that is not loaded", () => {
  const NOW = Date.parse("2026-11-30T12:00:00Z");
  const MINUTE = 60_000;
  const record = (fields: Partial<DeliveryRecord> = {}): Uint8Array =>
    Buffer.from(
      JSON.stringify({
        v: 1,
        webhookId: "msg_0123456789abcdef0123456789abcdef",
        integration: "crm",
        event: { type: "user.created" },
        attempts: [],
        ...fields,
      }),
    );
  const message = (storedMinutesAgo: number, fields: Partial<DeliveryRecord> = {}) => ({
    data: record(fields),
    subject: deliverySubject(CONSUMER, "crm"),
    notBefore: undefined,
    storedAtMs: NOW - storedMinutesAgo * MINUTE,
  });

  const none = { any: false, names: new Set<string>() };
  it.each([
    ["stored a minute ago: maybe new, on a replica ahead in a rollout", 1, none],
    ["stored 4 minutes ago", 4, none],
    [
      "stored 10 minutes ago while an invalid file names it",
      10,
      { any: false, names: new Set(["crm"]) },
    ],
    [
      "stored 10 minutes ago while a file whose names cannot be read is invalid",
      10,
      { any: true, names: new Set<string>() },
    ],
  ])("keeps its delivery, to look again in 15 s, when %s", async (_, minutes, heldBack) => {
    const deps = handlerDeps({ heldBack, now: NOW });
    expect(await handleDeliveryMessage(deps, message(minutes))).toEqual({
      action: "nak",
      delayMs: 15_000,
    });
    expect(deps.stats.get("crm")).toBeUndefined();
  });

  it("skips a delivery stored over 5 minutes ago while every file is valid: it was removed", async () => {
    const deps = handlerDeps({ now: NOW });
    expect(await handleDeliveryMessage(deps, message(6))).toEqual({ action: "ack" });
    expect(deps.stats.get("crm")?.counts.skipped).toBe(1);
    expect(deps.stats.get("crm")?.last).toMatchObject({ error: "integration removed" });
  });

  it("skips a delivery stored over 5 minutes ago while only files naming other integrations are invalid", async () => {
    const deps = handlerDeps({ heldBack: { any: false, names: new Set(["billing"]) }, now: NOW });
    expect(await handleDeliveryMessage(deps, message(6))).toEqual({ action: "ack" });
    expect(deps.stats.get("crm")?.counts.skipped).toBe(1);
  });

  it("puts a replay of such a delivery back in the dead-letter queue, not skipped", async () => {
    await ensureHookswitchStreams(jsm);
    const deps = handlerDeps({ now: NOW });
    expect(await handleDeliveryMessage(deps, message(6, { replays: 1 }))).toEqual({
      action: "ack",
    });
    expect(deps.stats.get("crm")).toBeUndefined();
    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(1);
  });
});
