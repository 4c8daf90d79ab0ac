/**
 * What happens to each message of the PBX stream (delivery-handler.ts handles hookswitch's
 * delivery stream). Handlers return how to settle the message; the consumer loop acks or
 * naks. A handler that throws (NATS could not store a record) gets the message handed back
 * for a later try: at least once, never lost.
 */
import type { MsgHdrs } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { loggedText } from "../logger.js";
import type { Metrics } from "../http/metrics.js";
import { matchEvent } from "../events/match.js";
import { isHeadersOnly } from "../nats/headers-only.js";
import type { LargeMessageWatch } from "../nats/large-messages.js";
import { ACK, type Settle } from "../nats/settle.js";
import { MAX_EVENT_BYTES, parseEvent } from "../events/parse.js";
import type { PbxEvent } from "../events/types.js";
import type { Dispatcher } from "./dispatcher.js";
import {
  AttemptAbortedError,
  IntegrationChangedError,
  type DurableQueue,
  type Job,
  type JobResult,
} from "./job.js";
import type { InvalidEventLog } from "./invalid-log.js";
import type { SkipLog } from "./skip-log.js";
import type { Limiter } from "./concurrency/limiter.js";
import { SlotWaitTimeoutError } from "./concurrency/request-slots.js";
import { oversizedDeadLetter, type OneAtATime } from "./oversized.js";
import { invalidEvent, type Unroutable } from "./unroutable.js";
import { unroutedDeadLetter } from "./records.js";
import type { ConfigSnapshot } from "./snapshot.js";
import type { DeliveryStats } from "./stats.js";
import { webhookId } from "./webhook-id.js";
import { subjectMismatch } from "../events/subject-match.js";

/**
 * How much of a message that is not JSON the dead-letter queue keeps: characters, or bytes
 * when it is not text.
 */
export const MAX_KEPT_TEXT = 64 * 1024;

export interface HandlerDeps {
  snapshot: () => ConfigSnapshot;
  dispatcher: Dispatcher;
  limiter: Limiter;
  queue: DurableQueue;
  stats: DeliveryStats;
  metrics: Metrics;
  log: Logger;
  /** Where invalid events are logged: in full, or counted in a flood. */
  invalidEvents: InvalidEventLog;
  /** Where deliveries skipped for a disabled or removed integration are logged. */
  skipLog: SkipLog;
  now?: () => number;
  /** In [0, 1), for jitter; absent: Math.random. */
  random?: () => number;
  /** Told the size of each event, to warn of events large enough to fill a pull (large-messages.ts). */
  largeEvents?: LargeMessageWatch;
  /** Hands back a message sent without its body (headers-only.ts). */
  headersOnly?: (consumer: string, seq: number) => Settle;
  /** Whether the stream holds a body for an event that came empty; absent: yes (headers-only.ts). */
  storedWithBody?: (stream: string, seq: number) => Promise<boolean>;
  /** Events larger are dead-lettered, one at a time (oversized.ts); absent: no limit but parse's. */
  oversized?: { maxEventBytes: number; lane: OneAtATime };
  /** Dead-letters an event whose subject names another account, service or type (subject-match.ts). */
  requireSubjectMatch?: boolean;
}

/**
 * A message of the PBX stream. A JetStream message decodes its subject and delivery info
 * when asked, and only an invalid event needs them.
 */
export interface EventMessage {
  readonly data: Uint8Array;
  readonly subject: string;
  /** Where the stream stored it: which message this is, for its dead letter's id. */
  readonly seq: number;
  readonly timestampNanos: bigint;
  readonly info: { readonly stream: string; readonly consumer: string };
  readonly headers?: MsgHdrs;
}

/**
 * The dead letter of an invalid message is stored once however often the message comes: a
 * store retried after its answer was lost, or the message delivered again because its ack
 * was (a crash), made a second copy. The time tells a stream re-created apart.
 */
function invalidMessageId(message: EventMessage): string {
  return `dlq:invalid:${message.info.stream}:${message.seq}:${message.timestampNanos}`;
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
  if (deps.headersOnly && isHeadersOnly(data, message)) {
    const { stream, consumer } = message.info;
    // One published empty, header and all, is invalid like any other empty message.
    if (!deps.storedWithBody || (await deps.storedWithBody(stream, message.seq)))
      return deps.headersOnly(consumer, message.seq);
  }
  deps.largeEvents?.check(data.byteLength);
  const { oversized } = deps;
  if (
    oversized &&
    data.byteLength > oversized.maxEventBytes &&
    data.byteLength <= MAX_EVENT_BYTES
  ) {
    return oversized.lane.run(() => {
      const { why, event } = oversizedDeadLetter(data, oversized.maxEventBytes);
      return deadLetterEvent(deps, message, why, event);
    });
  }
  const parsed = parseEvent(data);
  if (!parsed.ok) {
    return deadLetterEvent(deps, message, invalidEvent(parsed.reason), parsed.raw);
  }
  if (deps.requireSubjectMatch) {
    const mismatch = subjectMismatch(message.subject, parsed.event);
    if (mismatch) return deadLetterEvent(deps, message, invalidEvent(mismatch), parsed.raw);
  }
  const { index, byName } = deps.snapshot();
  const matches = matchEvent(index, parsed.event);
  if (matches.length === 0) return unmatched(deps, parsed.event);
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
      bytes: data.byteLength,
    };
    starts.push(startNew(deps, job));
  }
  // One match is the common case: its promise alone, without a Promise.all around it.
  if (starts.length === 1) await starts[0];
  else await allFinished(starts);
  return ACK;
}

/** A message no integration is sent: kept whole in the dead-letter queue, and acknowledged. */
async function deadLetterEvent(
  deps: HandlerDeps,
  message: EventMessage,
  why: Unroutable,
  event: unknown,
): Promise<Settle> {
  deps.metrics.eventsInvalid.inc();
  const { subject } = message;
  deps.invalidEvents.invalid(subject, why.detail, why.what);
  await deps.queue.deadLetter(
    unroutedDeadLetter({
      reason: why.reason,
      // Bytes that are not text are kept as they are, not as text with replacement marks.
      event,
      ...(event === null ? { eventBase64: base64Start(message.data) } : {}),
      subject,
      deadAt: new Date(deps.now?.() ?? Date.now()).toISOString(),
    }),
    invalidMessageId(message),
  );
  return ACK;
}

/**
 * Nothing to send. Counted, and said at debug with what matching looks at: an account or
 * a service type spelt otherwise than in the integration files matches nothing.
 */
function unmatched(deps: HandlerDeps, event: PbxEvent): Settle {
  deps.metrics.eventsUnmatched.inc();
  if (deps.log.isLevelEnabled("debug")) {
    const { id, type, data } = event;
    const { account, service } = data;
    // The publisher's text, bounded: an id may be hundreds of kilobytes.
    deps.log.debug(
      {
        eventId: loggedText(id),
        type,
        account: loggedText(account),
        serviceType: loggedText(service.type),
        serviceUuid: loggedText(service.uuid),
      },
      "event matched no enabled integration: acknowledged, nothing sent",
    );
  }
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
  if (slot === false) return deps.dispatcher.park(job);
  if (slot === true) return inSlot(deps, name, () => attemptOrPark(deps, job));
  return slot.then((taken) =>
    taken ? inSlot(deps, name, () => attemptOrPark(deps, job)) : deps.dispatcher.park(job),
  );
}

/**
 * A first attempt that shutdown aborts is parked as a delivery of its own, so the event can
 * be acknowledged: handing the event back would send it again to every integration that
 * already answered. Its `Nats-Msg-Id` is a park's (webhook id, attempt 0): a record of the
 * same delivery stored within the duplicate window already stands for it.
 */
function attemptOrPark(deps: HandlerDeps, job: Job): Promise<JobResult> {
  // A `catch` on the promise, not an `async` frame: this runs for every first attempt.
  return deps.dispatcher.attempt(job).catch((err: unknown) => {
    // No request slot came: the receivers holding them do not answer. Parked, it waits there.
    if (err instanceof SlotWaitTimeoutError) return deps.dispatcher.park(job);
    // Its file changed while it waited: parked, it is read as the file is now (sent by the
    // new version, or skipped if the integration is disabled or gone).
    if (err instanceof IntegrationChangedError) return deps.dispatcher.park(job);
    if (!(err instanceof AttemptAbortedError)) throw err;
    // Said once it is parked: with NATS down it is not, and the stop's warning counts it.
    return deps.dispatcher.park(job).then((parked) => {
      deps.log.info(
        { integration: job.active.integration.name, webhookId: job.webhookId },
        "delivery aborted at shutdown: parked for the next run",
      );
      return parked;
    });
  });
}

/** Runs `work` in the integration's slot, taken already, then frees it. */
export async function inSlot<T>(
  deps: HandlerDeps,
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } finally {
    deps.limiter.release(name);
  }
}
