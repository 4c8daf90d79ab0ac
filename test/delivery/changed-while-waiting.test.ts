import { AckPolicy, jetstream, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Integration } from "../../src/config/types.js";
import { handleDeliveryMessage } from "../../src/delivery/delivery-handler.js";
import type { Dispatcher } from "../../src/delivery/dispatcher.js";
import { handleEventMessage, type HandlerDeps } from "../../src/delivery/event-handler.js";
import { IntegrationChangedError, type Job } from "../../src/delivery/job.js";
import { RequestSlots } from "../../src/delivery/concurrency/request-slots.js";
import { buildSnapshot, type ConfigSnapshot } from "../../src/delivery/snapshot.js";
import { DELIVERY_STREAM, NOT_BEFORE_HEADER } from "../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { realDeliveryParts } from "../support/delivery-parts.js";
import { makeEvent, makeIntegration } from "../support/integration.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

/*
 * One request slot, held by a receiver that answers when the test says: a delivery to `crm`
 * waits for it while the test changes crm's file, as a `git pull` lands during a busy minute.
 */

const STREAM = "CHANGED_WHILE_WAITING_EVENTS";
const CONSUMER = "changed-test";

let nc: NatsConnection;
let jsm: JetStreamManager;
useNatsWithClient("changed-while-waiting", (started) => ({ nc, jsm } = started));
beforeAll(async () => {
  await ensureHookswitchStreams(jsm);
  await jsm.streams.add({ name: STREAM, subjects: ["changed.>"] });
  await jsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit });
  // Parked and waiting deliveries alike.
  await jsm.consumers.add(DELIVERY_STREAM, {
    durable_name: CONSUMER,
    ack_policy: AckPolicy.Explicit,
  });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function receiver(): Promise<Receiver> {
  const started = await startReceiver();
  cleanups.push(() => started.close());
  return started;
}

/** The daemon's delivery parts, reading `config()` as the configuration in force. */
function deliveryParts(config: () => ConfigSnapshot) {
  const requests = new RequestSlots(1, { maxWaitMs: 20_000 });
  const parts = realDeliveryParts({ nc, jsm, consumer: CONSUMER, config, requests, cleanups });
  return { ...parts, requests };
}

/**
 * The integration `slow` (of `config`) takes the one request slot, answered when the
 * returned function is called.
 */
async function holdTheSlot(dispatcher: Dispatcher, slow: Receiver, config: ConfigSnapshot) {
  let answer: () => void = () => undefined;
  slow.respond(() => ({ until: new Promise<void>((resolve) => (answer = resolve)) }));
  const attempt = dispatcher.attempt(jobOf(config, "slow"));
  await waitFor(() => slow.requests.length === 1, { what: "slow's request" });
  return () => (answer(), attempt);
}

/** A first attempt of `name`'s delivery of an event, as the configuration `config` had it. */
const jobOf = (config: ConfigSnapshot, name: string): Job => ({
  active: config.byName.get(name)!,
  event: makeEvent(),
  raw: {},
  webhookId: `msg_${name}`,
  attempts: [],
  bytes: 1_000,
});

/** Matches none of the test's events: it only holds the slot. */
const slowAt = (receiver: Receiver) =>
  makeIntegration({
    name: "slow",
    trigger: { serviceType: "mycloudpbx", events: ["user.deleted"] },
    webhook: { url: `${receiver.url}/slow` },
  });

const crmAt = (receiver: Receiver, overrides: Partial<Integration> = {}) =>
  makeIntegration({ name: "crm", webhook: { url: `${receiver.url}/crm` }, ...overrides });

async function nextOf(stream: string): Promise<JsMsg> {
  const consumer = await jetstream(nc).consumers.get(stream, CONSUMER);
  const msg = await consumer.next({ expires: 5_000 });
  if (!msg) throw new Error(`no message from ${stream} within 5 s`);
  return msg;
}

const asDelivery = (msg: JsMsg) => ({
  data: msg.data,
  subject: msg.subject,
  notBefore: msg.headers?.get(NOT_BEFORE_HEADER) || undefined,
  storedAtMs: Date.now(),
});

/**
 * `slow` holds the one request slot, and `crm` (as given) is in force beside it. `change`
 * puts another version of crm in force; `crmWaits` resolves once a delivery waits for the slot.
 */
async function slotHeldBesideCrm(crm: Integration) {
  const slow = await receiver();
  const slowOne = slowAt(slow);
  let config = buildSnapshot([slowOne, crm]);
  const parts = deliveryParts(() => config);
  const answerSlow = await holdTheSlot(parts.dispatcher, slow, config);
  return {
    ...parts,
    answerSlow,
    /** crm's first attempt as the configuration at the start had it. */
    crmJob: jobOf(config, "crm"),
    crmWaits: () =>
      waitFor(() => parts.requests.waiting === 1, { what: "crm's delivery waiting for a slot" }),
    change: (next: Integration) => (config = buildSnapshot([slowOne, next])),
  };
}

/** Publishes an event and starts handling it, as the event consumer does. */
async function handleNewEvent(handlers: HandlerDeps, id: string) {
  await jetstream(nc).publish("changed.event", JSON.stringify(makeEvent({ id })));
  return handleEventMessage(handlers, await nextOf(STREAM));
}

describe("a delivery whose integration's file changes while it waits for a request slot", () => {
  it("is not sent when the integration was disabled meanwhile: parked, then skipped", async () => {
    const crm = await receiver();
    const scene = await slotHeldBesideCrm(crmAt(crm));
    const handled = handleNewEvent(scene.handlers, "5d1e4a0c-0000-4000-8000-000000000002");
    await scene.crmWaits();

    scene.change(crmAt(crm, { enabled: false }));
    await scene.answerSlow();
    expect(await handled).toEqual({ action: "ack" });
    expect(scene.requests.taken).toBe(0);

    // Parked, it is read as the file is now.
    const parked = await nextOf(DELIVERY_STREAM);
    expect(await handleDeliveryMessage(scene.handlers, asDelivery(parked))).toEqual({
      action: "ack",
    });
    parked.ack();
    expect(scene.stats.get("crm")?.counts.skipped).toBe(1);
    expect(crm.requests).toHaveLength(0);
  });

  it("is sent as the file is now when the integration was edited meanwhile", async () => {
    const [before, after] = [await receiver(), await receiver()];
    const scene = await slotHeldBesideCrm(crmAt(before));
    const handled = handleNewEvent(scene.handlers, "5d1e4a0c-0000-4000-8000-000000000003");
    await scene.crmWaits();

    scene.change(crmAt(after));
    await scene.answerSlow();
    expect(await handled).toEqual({ action: "ack" });
    const parked = await nextOf(DELIVERY_STREAM);
    expect(await handleDeliveryMessage(scene.handlers, asDelivery(parked))).toEqual({
      action: "ack",
    });
    parked.ack();
    expect(before.requests).toHaveLength(0);
    expect(after.requests.map((r) => r.url)).toEqual(["/crm"]);
  });

  it("gives up an attempt unsent, its slot back unused, when its file changed", async () => {
    const crm = await receiver();
    const scene = await slotHeldBesideCrm(crmAt(crm));
    const attempt = scene.dispatcher.attempt(scene.crmJob);
    await scene.crmWaits();

    scene.change(crmAt(crm, { trigger: { serviceType: "mycloudpbx", events: [] } }));
    await scene.answerSlow();
    await expect(attempt).rejects.toBeInstanceOf(IntegrationChangedError);
    // The slot it was given goes back unused.
    expect(scene.requests.taken).toBe(0);
    expect(crm.requests).toHaveLength(0);
  });

  it("hands a stored delivery's message back, to be read again at once, when its file changed", async () => {
    const crm = await receiver();
    const scene = await slotHeldBesideCrm(crmAt(crm));
    // Stored as a parked first attempt is: with its event as it came.
    await scene.dispatcher.park({ ...scene.crmJob, raw: scene.crmJob.event });
    const stored = await nextOf(DELIVERY_STREAM);
    const handled = handleDeliveryMessage(scene.handlers, asDelivery(stored));
    await scene.crmWaits();

    scene.change(crmAt(crm, { webhook: { ...crmAt(crm).webhook, timeoutMs: 5_000 } }));
    await scene.answerSlow();
    // Acknowledged, the delivery would be lost: no record of it is left anywhere else.
    expect(await handled).toEqual({ action: "nak", delayMs: 0 });
    stored.ack();
    expect(scene.requests.taken).toBe(0);
    expect(crm.requests).toHaveLength(0);
  });

  it("is sent at once when its file was only read again, its definition the same", async () => {
    const crm = await receiver();
    const scene = await slotHeldBesideCrm(crmAt(crm));
    const attempt = scene.dispatcher.attempt(scene.crmJob);
    await scene.crmWaits();

    // A ConfigMap swap reads every file again: new objects, and one moved down its file.
    scene.change(crmAt(crm, { source: { file: "integrations.d/crm.yaml", line: 9, column: 1 } }));
    await scene.answerSlow();
    expect(await attempt).toBe("delivered");
    expect(crm.requests).toHaveLength(1);
  });
});
