/**
 * What happens to each message: an event from the PBX stream, or a delivery waiting in
 * hookswitch's delivery stream. Handlers return how to settle the message; the consumer
 * loop acks or naks. A handler that throws (NATS could not store a record) gets the
 * message handed back for a later try: at least once, never lost.
 */
import type { Logger } from "pino";
import type { Metrics } from "../http/metrics.js";
import { matchEvent } from "../events/match.js";
import { checkEvent, parseEvent } from "../events/parse.js";
import {
  AttemptAbortedError,
  type Dispatcher,
  type DurableQueue,
  type Job,
  type JobResult,
} from "./dispatcher.js";
import type { Limiter } from "./limiter.js";
import {
  integrationOfDeliverySubject,
  unroutedDeadLetter,
  type DeliveryRecord,
} from "./records.js";
import type { ActiveIntegration, ConfigSnapshot } from "./snapshot.js";
import type { DeliveryStats } from "./stats.js";
import { webhookId } from "./webhook-id.js";

export type Settle = { action: "ack" } | { action: "nak"; delayMs: number };
const ACK: Settle = { action: "ack" };
const HANDED_BACK: Settle = { action: "nak", delayMs: 0 };
/**
 * How much of a message that is not JSON the dead-letter queue keeps: characters, or bytes
 * when it is not text.
 */
const MAX_KEPT_TEXT = 64 * 1024;

export interface HandlerDeps {
  snapshot: () => ConfigSnapshot;
  dispatcher: Dispatcher;
  limiter: Limiter;
  queue: DurableQueue;
  stats: DeliveryStats;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
}

/**
 * A message of the PBX stream. A JetStream message decodes its subject when asked, and
 * only an invalid event needs it.
 */
export interface EventMessage {
  readonly data: Uint8Array;
  readonly subject: string;
}

function base64Start(data: Uint8Array): string {
  return Buffer.from(
    data.buffer,
    data.byteOffset,
    Math.min(data.byteLength, MAX_KEPT_TEXT),
  ).toString("base64");
}

/** An event from the PBX stream: validate, match, and start one delivery per match. */
export async function handleEventMessage(
  deps: HandlerDeps,
  message: EventMessage,
): Promise<Settle> {
  deps.metrics.eventsReceived.inc();
  const { data } = message;
  const parsed = parseEvent(data);
  if (!parsed.ok) {
    deps.metrics.eventsInvalid.inc();
    const { subject } = message;
    deps.log.warn({ subject, reason: parsed.reason }, "invalid event dead-lettered");
    await deps.queue.deadLetter(
      unroutedDeadLetter({
        reason: `invalid event: ${parsed.reason}`,
        // Bytes that are not text are kept as they are, not as text with replacement marks.
        event: parsed.raw,
        ...(parsed.raw === null ? { eventBase64: base64Start(data) } : {}),
        subject,
      }),
    );
    return ACK;
  }
  const { index, byName } = deps.snapshot();
  const matches = matchEvent(index, parsed.event);
  if (matches.length === 0) return ACK;
  const starts: Promise<JobResult>[] = [];
  for (const integration of matches) {
    const active = byName.get(integration.name);
    if (!active) continue;
    const job: Job = {
      active,
      event: parsed.event,
      raw: parsed.raw,
      webhookId: webhookId(integration.name, parsed.event.id),
      attempts: [],
    };
    starts.push(startNew(deps, job));
  }
  // One match is the common case: its promise alone, without a Promise.all around it.
  if (starts.length === 1) await starts[0];
  else await allFinished(starts);
  return ACK;
}

/**
 * Waits for every delivery of a fan-out before failing on the first that failed: the event
 * is then handed back whole, and none of its deliveries may still be running when it
 * comes again (it would be sent twice at once).
 */
async function allFinished(starts: Promise<JobResult>[]): Promise<void> {
  const results = await Promise.allSettled(starts);
  for (const result of results) if (result.status === "rejected") throw result.reason;
}

/**
 * A new delivery runs at once when its integration has room, waits in its short line when
 * that line moves fast, and otherwise waits in the delivery stream: a slow integration
 * never holds up the events of the others.
 */
function startNew(deps: HandlerDeps, job: Job): Promise<JobResult> {
  const { name, webhook } = job.active.integration;
  const slot = deps.limiter.acquire(name, webhook.maxInFlight, deps.now?.() ?? Date.now());
  if (slot === false) return deps.dispatcher.handOff(job);
  return inSlot(deps, name, slot, () => attemptOrHandOff(deps, job));
}

/**
 * A first attempt that shutdown aborts is parked as a delivery of its own, so the event can
 * be acknowledged: handing the event back would send it again to every integration that
 * already answered. Its `Nats-Msg-Id` is a park's (webhook id, attempt 0): a record of the
 * same delivery stored within the duplicate window already stands for it.
 */
async function attemptOrHandOff(deps: HandlerDeps, job: Job): Promise<JobResult> {
  try {
    return await deps.dispatcher.attempt(job);
  } catch (err) {
    if (!(err instanceof AttemptAbortedError)) throw err;
    deps.log.info(
      { integration: job.active.integration.name, webhookId: job.webhookId },
      "delivery aborted at shutdown: parking it for the next run",
    );
    return deps.dispatcher.handOff(job);
  }
}

/** Runs `work` once the integration's slot is held (at once or after its line), then frees it. */
async function inSlot<T>(
  deps: HandlerDeps,
  name: string,
  slot: true | Promise<void>,
  work: () => Promise<T>,
): Promise<T> {
  if (slot !== true) await slot;
  try {
    return await work();
  } finally {
    deps.limiter.release(name);
  }
}

/** A message of hookswitch's delivery stream, with what is read without parsing it. */
export interface DeliveryMessage {
  data: Uint8Array;
  subject: string;
  /** The record's `notBefore`, from its header (absent in records of earlier versions). */
  notBefore: string | undefined;
}

/**
 * A delivery from hookswitch's delivery stream: a retry, a hand-off, or a replay. Whether
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

  const active = deps.snapshot().byName.get(integrationOfDeliverySubject(message.subject));
  if (!active?.integration.enabled) return settleUnsendable(deps, message.data, active);
  const { name, webhook } = active.integration;
  const slot = deps.limiter.acquire(name, webhook.maxInFlight, now);
  if (slot === false) {
    return {
      action: "nak",
      delayMs: parkDelay(deps.limiter.nextTurnMs(name, webhook.maxInFlight, now)),
    };
  }
  return inSlot(deps, name, slot, () => deliverRecord(deps, message.data, active, now));
}

async function deliverRecord(
  deps: HandlerDeps,
  data: Uint8Array,
  active: ActiveIntegration,
  now: number,
): Promise<Settle> {
  const { name } = active.integration;
  const record = parseRecord(data);
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
      unroutedDeadLetter({ reason: `stored event invalid: ${parsed.reason}`, event: record.event }),
    );
    return ACK;
  }
  const job: Job = {
    active,
    event: parsed.event,
    raw: record.event,
    webhookId: record.webhookId,
    attempts: record.attempts,
    ...(typeof record.replays === "number" ? { replays: record.replays } : {}),
  };
  try {
    await deps.dispatcher.attempt(job);
  } catch (err) {
    // The record is this one delivery: handing it back is all it takes (the loop delays
    // naks at shutdown). A new record would carry this one's `Nats-Msg-Id` and be dropped.
    if (err instanceof AttemptAbortedError) return HANDED_BACK;
    throw err;
  }
  return ACK;
}

/** A record whose integration is disabled or gone: skipped, and counted as such. */
async function settleUnsendable(
  deps: HandlerDeps,
  data: Uint8Array,
  active: ActiveIntegration | undefined,
): Promise<Settle> {
  const record = parseRecord(data);
  if (!record) return deadLetterUnreadable(deps, data);
  return skip(deps, record, active);
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
    }),
  );
  return ACK;
}

/** Milliseconds until an ISO time, 0 when it is absent, unreadable or past. */
function msUntil(iso: string | undefined, nowMs: number): number {
  const ms = iso === undefined ? NaN : Date.parse(iso) - nowMs;
  return ms > 0 ? ms : 0;
}

function skip(
  deps: HandlerDeps,
  record: DeliveryRecord,
  active: ActiveIntegration | undefined,
): Settle {
  const why = active ? "disabled" : "removed";
  deps.stats.record(record.integration, {
    at: new Date().toISOString(),
    outcome: "skipped",
    status: null,
    error: `integration ${why}`,
  });
  deps.log.info(
    { integration: record.integration, webhookId: record.webhookId },
    `delivery skipped: integration ${why}`,
  );
  return ACK;
}

/** Parked work comes back at its turn, give or take a little jitter, within a minute. */
const MIN_PARK_MS = 50;
const MAX_PARK_MS = 60_000;

function parkDelay(turnMs: number): number {
  const jittered = turnMs * (0.9 + Math.random() * 0.2);
  return Math.round(Math.min(MAX_PARK_MS, Math.max(MIN_PARK_MS, jittered)));
}

function parseRecord(data: Uint8Array): DeliveryRecord | undefined {
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
