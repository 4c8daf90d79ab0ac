/**
 * What happens to each message of hookswitch's delivery stream: a retry, a delivery parked
 * while its integration was busy, or a replay. Returns how to settle the message, as the
 * event handler does (event-handler.ts).
 */
import { explainMismatch } from "../events/match.js";
import { checkEvent } from "../events/parse.js";
import { AttemptAbortedError, IntegrationChangedError, type Job } from "./job.js";
import { SlotWaitTimeoutError } from "./concurrency/request-slots.js";
import { ACK, HANDED_BACK, type Settle } from "../nats/settle.js";
import { inSlot, MAX_KEPT_TEXT, type HandlerDeps } from "./event-handler.js";
import {
  earlierAttemptsOf,
  eventIdOf,
  unroutedDeadLetter,
  unsentDeadLetter,
  type DeliveryRecord,
} from "./records.js";
import { integrationOfDeliverySubject } from "../nats/layout.js";
import type { ActiveIntegration } from "./snapshot.js";
import { loggedText } from "../logger.js";

/** A message of hookswitch's delivery stream, with what is read without parsing it. */
export interface DeliveryMessage {
  data: Uint8Array;
  subject: string;
  /** The record's `notBefore`, from its header (absent in records of earlier versions). */
  notBefore: string | undefined;
  /** When the stream stored the record (ms since the epoch, the server's clock). */
  storedAtMs?: number;
}

/**
 * A delivery from hookswitch's delivery stream: a retry, a parked delivery, or a replay. Whether
 * it is early and whether its integration is busy are read from the message's header and
 * subject, so a record handed back to wait its turn is never parsed: a busy integration's
 * backlog is looked at about once per turn, and each look is cheap.
 */
export async function handleDeliveryMessage(
  deps: HandlerDeps,
  message: DeliveryMessage,
): Promise<Settle> {
  const now = deps.now?.() ?? Date.now();
  const early = msUntil(message.notBefore, now);
  if (early > 0) return { action: "nak", delayMs: early };

  const snapshot = deps.snapshot();
  const integration = integrationOfDeliverySubject(message.subject);
  const active = snapshot.byName.get(integration);
  const maybeNew = now - (message.storedAtMs ?? 0) < ROLLOUT_MS;
  if (!active && (maybeNew || snapshot.mayBeHeldBack(integration))) {
    return waitForConfiguration(deps, integration);
  }
  if (!active?.integration.enabled) return settleUnsendable(deps, message.data, active);
  const { name, webhook } = active.integration;
  const slot = deps.limiter.acquire(name, webhook.maxInFlight, now);
  const later = (): Settle => ({
    action: "nak",
    delayMs: parkDelay(deps.limiter.nextTurnMs(name, webhook.maxInFlight, now), deps.random),
  });
  if (slot === false) return later();
  // No request slot came in time: the record waits its turn in the stream again.
  const deliver = () =>
    inSlot(deps, name, () => deliverRecord(deps, message.data, active, now)).catch(
      (err: unknown) => {
        if (err instanceof SlotWaitTimeoutError) return later();
        throw err;
      },
    );
  if (slot === true) return deliver();
  return slot.then((taken) => (taken ? deliver() : later()));
}

async function deliverRecord(
  deps: HandlerDeps,
  data: Uint8Array,
  active: ActiveIntegration,
  now: number,
): Promise<Settle> {
  const { name } = active.integration;
  const record = parseDeliveryRecord(data);
  if (!record) return deadLetterUnreadable(deps, data);
  if (record.integration !== name) {
    return deadLetterUnreadable(deps, data, `a record for ${record.integration} under ${name}`);
  }
  // A record written without the header keeps its time only inside.
  const early = msUntil(record.notBefore, now);
  if (early > 0) return { action: "nak", delayMs: early };
  const parsed = checkEvent(record.event);
  if (!parsed.ok) {
    deps.log.error({ integration: name, webhookId: record.webhookId }, "stored event invalid");
    await deps.queue.deadLetter(
      unroutedDeadLetter({
        reason: `stored event invalid: ${parsed.reason}`,
        event: record.event,
        deadAt: isoNow(deps),
      }),
    );
    return ACK;
  }
  // Retries, parked deliveries and replays were matched with the file as it was: one whose
  // scope or trigger has changed since (an account handed to another tenant, say) must not
  // carry these events to the integration's new receiver.
  const mismatch = explainMismatch(active.integration, parsed.event);
  if (mismatch !== undefined) {
    const why = `no longer matches the event (${mismatch})`;
    if (!record.replays) return skip(deps, record, why);
    const reason = `integration ${why} when the replay came: purge it, or replay it once the integration matches it again`;
    return deadLetterReplay(deps, record, reason);
  }
  const job: Job = {
    active,
    event: parsed.event,
    raw: record.event,
    webhookId: record.webhookId,
    attempts: record.attempts,
    bytes: data.byteLength,
  };
  if (typeof record.replays === "number") job.replays = record.replays;
  const earlier = earlierAttemptsOf(record);
  if (earlier.length > 0) job.earlierAttempts = earlier;
  try {
    await deps.dispatcher.attempt(job);
  } catch (err) {
    // The record is this one delivery: handing it back is all it takes (the loop delays
    // naks at shutdown). A new record would carry this one's `Nats-Msg-Id` and be dropped.
    if (err instanceof AttemptAbortedError) return HANDED_BACK;
    // Its file changed while it waited: handed back, it is read at once as the file is now.
    if (err instanceof IntegrationChangedError) return { action: "nak", delayMs: 0 };
    throw err;
  }
  return ACK;
}

/**
 * How long a record whose integration is not loaded here waits before it is looked at
 * again: a broken file is fixed by a person, and a lagging replica catches up within a
 * rollout; either way the integration is loaded within a second of that.
 */
const UNLOADED_WAIT_MS = 15_000;
/**
 * How long replicas may see different configurations during a rollout (a ConfigMap
 * reaches each pod within a minute or two, git-sync at its own pace). A record written
 * this recently for an integration this replica does not know may come from a replica
 * that has it already: a new integration, not a removed one.
 */
export const ROLLOUT_MS = 5 * 60_000;

/**
 * An integration that is not loaded may be in a file that is invalid (a replica started
 * since it broke has no last valid version of it), or new and not here yet. Its
 * deliveries are kept, not skipped as removed, while a file with problems may hold it
 * (one that names it, or one whose names cannot be read) or the record is younger than a
 * rollout.
 */
function waitForConfiguration(deps: HandlerDeps, integration: string): Settle {
  deps.log.debug({ integration }, "delivery kept: its integration is not loaded here (yet)");
  return { action: "nak", delayMs: UNLOADED_WAIT_MS };
}

/** A record whose integration is disabled or gone: skipped, and counted as such. */
async function settleUnsendable(
  deps: HandlerDeps,
  data: Uint8Array,
  active: ActiveIntegration | undefined,
): Promise<Settle> {
  const record = parseDeliveryRecord(data);
  if (!record) return deadLetterUnreadable(deps, data);
  const why = active ? "disabled" : "removed";
  if (!record.replays) return skip(deps, record, why);
  const reason = `integration ${why} when the replay came: replay it again once it is back`;
  return deadLetterReplay(deps, record, reason);
}

/**
 * A replayed dead letter whose integration is disabled, gone or no longer matches its event
 * goes back to the dead-letter queue: someone asked for it to be sent, and nothing leaves
 * the queue unsent but by `dlq purge`.
 */
async function deadLetterReplay(
  deps: HandlerDeps,
  record: DeliveryRecord,
  reason: string,
): Promise<Settle> {
  deps.log.info({ integration: record.integration, webhookId: record.webhookId }, reason);
  await deps.queue.deadLetter(unsentDeadLetter(record, reason, isoNow(deps)));
  return ACK;
}

/** Not written by this version: kept where a person can look at it. */
async function deadLetterUnreadable(
  deps: HandlerDeps,
  data: Uint8Array,
  why = "written by another version of hookswitch?",
): Promise<Settle> {
  deps.log.error("unreadable delivery record moved to the dead-letter queue");
  await deps.queue.deadLetter(
    unroutedDeadLetter({
      reason: `unreadable delivery record (${why})`,
      event: Buffer.from(data).toString("utf8").slice(0, MAX_KEPT_TEXT),
      deadAt: isoNow(deps),
    }),
  );
  return ACK;
}

/** Milliseconds until an ISO time, 0 when it is absent, unreadable or past. */
function msUntil(iso: string | undefined, nowMs: number): number {
  const ms = iso === undefined ? NaN : Date.parse(iso) - nowMs;
  return ms > 0 ? ms : 0;
}

function skip(deps: HandlerDeps, record: DeliveryRecord, why: string): Settle {
  deps.stats.record(record.integration, {
    at: isoNow(deps),
    outcome: "skipped",
    status: null,
    error: `integration ${why}`,
  });
  deps.skipLog.skipped({
    integration: record.integration,
    webhookId: record.webhookId,
    eventId: loggedText(eventIdOf(record.event) ?? "(none)"),
    why,
  });
  return ACK;
}

/** Parked work comes back at its turn, give or take a little jitter, within a minute. */
const MIN_PARK_MS = 50;
const MAX_PARK_MS = 60_000;

/** `random` in [0, 1): the jitter spreads records that waited together (a handler's `random`). */
export function parkDelay(turnMs: number, random: () => number = Math.random): number {
  const jittered = turnMs * (0.9 + random() * 0.2);
  return Math.round(Math.min(MAX_PARK_MS, Math.max(MIN_PARK_MS, jittered)));
}

function parseDeliveryRecord(data: Uint8Array): DeliveryRecord | undefined {
  try {
    const value = JSON.parse(Buffer.from(data).toString("utf8")) as Partial<DeliveryRecord>;
    if (
      value?.v !== 1 ||
      typeof value.integration !== "string" ||
      typeof value.webhookId !== "string"
    ) {
      return undefined;
    }
    return {
      ...value,
      attempts: Array.isArray(value.attempts) ? value.attempts : [],
    } as DeliveryRecord;
  } catch {
    return undefined;
  }
}

function isoNow(deps: HandlerDeps): string {
  return new Date(deps.now?.() ?? Date.now()).toISOString();
}
