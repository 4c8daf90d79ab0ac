/**
 * The records a delivery leaves in NATS: the delivery record kept for a retry or a
 * hand-back, and the dead letter, built from the job and its attempts (a dead letter is
 * stamped with the time it is made).
 */
import type { SentAttempt } from "./attempt-send.js";
import type { Job } from "./job.js";
import { maskEchoedSecrets, maskedRequest, shownLocation } from "./mask.js";
import type { DeadLetterRecord, DeliveryRecord } from "./records.js";
import { redirectReason } from "./retry-policy.js";
import type { AttemptOutcome, AttemptRecord, WebhookRequest } from "./types.js";

export function attemptRecordOf(at: Date, outcome: AttemptOutcome): AttemptRecord {
  return outcome.kind === "response"
    ? { at: at.toISOString(), status: outcome.status }
    : { at: at.toISOString(), error: outcome.message };
}

export function toRecord(
  job: Job,
  attempts: AttemptRecord[],
  notBefore: Date | undefined,
): DeliveryRecord {
  const record: DeliveryRecord = {
    v: 1,
    webhookId: job.webhookId,
    integration: job.active.integration.name,
    event: job.raw,
    attempts,
  };
  if (notBefore) record.notBefore = notBefore.toISOString();
  if (job.replays) record.replays = job.replays;
  if (job.earlierAttempts) record.earlierAttempts = job.earlierAttempts;
  return record;
}

/**
 * Every attempt a dead letter lists: a replay's after those of the runs before it, so that
 * replaying a dead letter loses none of its history.
 */
function allAttempts(job: Job, attempts: AttemptRecord[]): AttemptRecord[] {
  return job.earlierAttempts ? [...job.earlierAttempts, ...attempts] : attempts;
}

/**
 * The id under which the record kept after `attempts` attempts is stored: a delivery handed
 * back and taken again stores it once. A replay's records have ids of their own.
 */
export function recordId(job: Job, attempts: number): string {
  return job.replays
    ? `${job.webhookId}:r${job.replays}:${attempts}`
    : `${job.webhookId}:${attempts}`;
}

function deadLetterOf(
  job: Job,
  attempts: AttemptRecord[],
  last: AttemptOutcome,
  reason: string,
  request: WebhookRequest | undefined,
  deadAt: Date,
): DeadLetterRecord {
  const listed = allAttempts(job, attempts);
  return {
    v: 1,
    integration: job.active.integration.name,
    webhookId: job.webhookId,
    eventId: job.event.id,
    reason,
    event: job.raw,
    attempts: listed,
    lastStatus: last.kind === "response" ? last.status : null,
    lastError: last.kind === "error" ? last.message : null,
    lastResponseBody: last.kind === "response" ? last.bodyStart : null,
    firstAttemptAt: listed[0]?.at ?? null,
    lastAttemptAt: listed.at(-1)?.at ?? null,
    ...(request ? { request } : {}),
    deadAt: deadAt.toISOString(),
    ...(job.replays ? { replays: job.replays } : {}),
  };
}

/**
 * The dead letter of a delivery given up after its last attempt: what it sent and got, the
 * integration's secrets masked in both.
 */
export function sentDeadLetter(
  job: Job,
  attempts: AttemptRecord[],
  { startedAt, request, outcome }: SentAttempt,
  decided: string,
  deadAt: Date,
): DeadLetterRecord {
  const { integration } = job.active;
  const masked = request && maskedRequest(integration, request, job.event, startedAt);
  // The answer is kept beside the masked request: it must not quote what that masks.
  const last =
    outcome.kind === "response"
      ? {
          ...outcome,
          bodyStart: maskEchoedSecrets(integration, outcome.bodyStart),
          location: outcome.location && shownLocation(integration, outcome.location),
        }
      : outcome;
  // A redirect is dead-lettered naming where it points (it is never retried).
  const reason =
    last.kind === "response" && last.location
      ? redirectReason(last.status, last.location)
      : decided;
  return deadLetterOf(job, attempts, last, reason, masked, deadAt);
}

/**
 * A delivery that had its attempts before it came again: `maxAttempts` was lowered while it
 * waited. Its attempts' statuses stand for the answers, whose bodies were not kept.
 */
export function exhaustedDeadLetter(job: Job, maxAttempts: number, deadAt: Date): DeadLetterRecord {
  const { attempts } = job;
  const last = attempts.at(-1);
  const what = last?.status === undefined ? (last?.error ?? "no attempt") : `HTTP ${last.status}`;
  const count = attempts.length === 1 ? "1 attempt" : `${attempts.length} attempts`;
  const listed = allAttempts(job, attempts);
  return {
    v: 1,
    integration: job.active.integration.name,
    webhookId: job.webhookId,
    eventId: job.event.id,
    reason: `gave up after ${count}: ${what} (maxAttempts was lowered to ${maxAttempts} while it waited)`,
    event: job.raw,
    attempts: listed,
    lastStatus: last?.status ?? null,
    lastError: last?.error ?? null,
    lastResponseBody: null,
    firstAttemptAt: listed[0]?.at ?? null,
    lastAttemptAt: last?.at ?? null,
    deadAt: deadAt.toISOString(),
    ...(job.replays ? { replays: job.replays } : {}),
  };
}
