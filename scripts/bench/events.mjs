// Events and streams for the benchmark: PBX user events like the platform publishes, a
// webhook body like hookswitch sends by default, and JetStream publishing helpers.
import { randomUUID } from "node:crypto";
import { RetentionPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";

export const SERVICE_UUID = "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11";
const PUBLISH_WINDOW = 512;

export function makeEvent({ account = "acme", name = "Alice Example", type = "user.created" }) {
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: `/accounts/${account}/services/${SERVICE_UUID}`,
    type,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data: {
      account,
      service: { type: "mycloudpbx", uuid: SERVICE_UUID, name: "pbx-01", friendlyName: "HQ" },
      user: {
        extension: "201",
        name,
        outboundNumber: "+61290000000",
        hasVoicemail: true,
        enabledCalls: ["Local", "National", "Mobile"],
      },
    },
  };
}

/** The payload hookswitch sends when an integration lists no `fields`: every field. */
export function webhookBody(event, dateTime = new Date().toISOString()) {
  const { data } = event;
  return JSON.stringify({
    extensionNumber: data.user.extension ?? null,
    name: data.user.name ?? null,
    outboundPhoneNumber: data.user.outboundNumber ?? null,
    hasVoicemail: data.user.hasVoicemail ?? null,
    enabledCalls: data.user.enabledCalls?.join(",") ?? null,
    dateTime,
    serviceUuid: data.service.uuid,
    serviceName: data.service.name ?? null,
    serviceFriendlyName: data.service.friendlyName ?? null,
    serviceType: data.service.type,
    account: data.account,
    event: event.type,
    eventId: event.id,
    eventTime: event.time,
  });
}

/** A signature's length, fixed: those who only move the bytes do not sign. */
const FIXED_SIGNATURE = `v1,${Buffer.alloc(32, 7).toString("base64")}`;
const FIXED_TIMESTAMP = String(Math.floor(Date.now() / 1000));

/**
 * The headers of a signed hookswitch delivery, with a fixed timestamp and signature: the
 * HTTP ceiling and the lean relays put the same bytes on the wire as hookswitch, without
 * doing its work.
 */
export function webhookHeaders(id) {
  return {
    "User-Agent": "hookswitch-bench/0.1.0",
    "Content-Type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": FIXED_TIMESTAMP,
    "webhook-signature": FIXED_SIGNATURE,
  };
}

export const subjectOf = (prefix, event) =>
  `${prefix}.${event.data.account}.${event.data.service.type}.${SERVICE_UUID}.${event.type}`;

/** A file-storage stream like the one hookswitch creates, under its own subject prefix. */
export async function createStream(nc, name, prefix) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name,
    subjects: [`${prefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
  });
}

/** Publishes `count` events with a bounded window of unacknowledged publishes. */
export async function publishBacklog(nc, prefix, count, options = {}) {
  const js = jetstream(nc);
  const pending = new Set();
  for (let i = 0; i < count; i++) {
    const event = makeEvent(options);
    const done = js.publish(subjectOf(prefix, event), JSON.stringify(event), { msgID: event.id });
    pending.add(done);
    void done.finally(() => pending.delete(done)).catch(() => undefined);
    if (pending.size >= PUBLISH_WINDOW) await Promise.race(pending);
  }
  await Promise.all(pending);
}

/**
 * Publishes at a fixed rate for `durationMs`, each event carrying its publish time (wall-clock
 * ms) as the user's name so the receiver can compute publish → receipt latency.
 */
export async function publishAtRate(
  nc,
  prefix,
  ratePerSecond,
  durationMs,
  { warmUp = false } = {},
) {
  const js = jetstream(nc);
  const pending = [];
  const started = performance.now();
  let sent = 0;
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= durationMs) break;
    const due = Math.floor((elapsed * ratePerSecond) / 1000);
    for (; sent < due; sent++) {
      // Warm-up events carry a "w" before the time: the receiver leaves them out of latency.
      const stamp = String(performance.timeOrigin + performance.now());
      const event = makeEvent({ name: warmUp ? `w${stamp}` : stamp });
      pending.push(js.publish(subjectOf(prefix, event), JSON.stringify(event)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return sent;
}
