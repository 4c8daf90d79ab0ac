/**
 * One delivery attempt and what follows from it: render, send, decide, and record the
 * outcome durably (delivered, handed to the delivery stream for a retry, or dead-lettered).
 * The only module that knows how an attempt turns into a record (words: job.ts).
 */
import type { Logger } from "pino";
import { coerceError } from "../errors.js";
import type { Metrics } from "../http/metrics.js";
import { loggedText } from "../logger.js";
import { renderFailure, tooLargeOutcome, unsendableOutcome } from "./attempt-failure.js";
import { RequestTooLargeError } from "./request-size.js";
import { createDeadLetterLog, type DeadLetterLog } from "./dead-letter-log.js";
import { isoTimeMemo } from "./iso-time.js";
import { maskEchoedSecrets, maskedRequest, shownLocation } from "./mask.js";
import type { Limiter } from "./concurrency/limiter.js";
import { FailureLog } from "./failure-log.js";
import {
  attemptRecordOf,
  deadLetterOf,
  exhaustedDeadLetter,
  recordId,
  toRecord,
} from "./job-records.js";
import { decideNext, describeOutcome, redirectReason } from "./retry-policy.js";
import { SlotWaitTimeoutError, type RequestSlots } from "./concurrency/request-slots.js";
import type { Sender } from "./send.js";
import type { DeliveryStats } from "./stats.js";
import type { AttemptOutcome, AttemptRecord, Rendering, WebhookRequest } from "./types.js";
import { AttemptAbortedError, type DurableQueue, type Job, type JobResult } from "./job.js";
import type { DeadLetterRecord } from "./records.js";

/** An attempt once sent, or once it turned out it could not be (no request then). */
interface SentAttempt {
  startedAt: Date;
  request: WebhookRequest | undefined;
  outcome: AttemptOutcome;
}

export interface DispatcherDeps {
  sender: Sender;
  /**
   * Requests in flight at once (`--max-in-flight`). An event that matches several
   * integrations starts several attempts: this, not the events taken in, keeps a fan-out's
   * requests within the cap. Its count is the in-flight gauge, read at scrape time.
   */
  requests: RequestSlots;
  /** Told each attempt's duration, which sizes the integration's waiting line. */
  limiter: Pick<Limiter, "observe">;
  queue: DurableQueue;
  stats: DeliveryStats;
  metrics: Metrics;
  log: Logger;
  /** Aborted when shutdown's grace period ends. */
  signal: AbortSignal;
  /** Where dead letters are logged: in full, or counted in a flood. */
  deadLetterLog?: DeadLetterLog;
  /** When to say a receiver fails: the daemon's, which forgets removed integrations. */
  failureLog?: FailureLog;
  now?: () => Date;
  random?: () => number;
}

export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #now: () => Date;
  readonly #random: () => number;
  readonly #deadLetterLog: DeadLetterLog;
  /** Outcomes are counted as answers come: roughly in time order, as a memory needs. */
  readonly #isoTime = isoTimeMemo();
  readonly #failures: FailureLog;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#random = deps.random ?? Math.random;
    this.#deadLetterLog = deps.deadLetterLog ?? createDeadLetterLog(deps.log);
    this.#failures = deps.failureLog ?? new FailureLog();
  }

  /** Parks a delivery in the delivery stream without attempting it now. */
  async park(job: Job): Promise<JobResult> {
    const record = toRecord(job, job.attempts, undefined);
    await this.#deps.queue.park(record, recordId(job, job.attempts.length));
    return "parked";
  }

  /** Makes one attempt. The caller holds the integration's concurrency slot. */
  async attempt(job: Job): Promise<JobResult> {
    const { integration } = job.active;
    // Lowered while the delivery waited: no more requests to a receiver it was lowered for.
    const { maxAttempts } = integration.webhook.retry;
    if (job.attempts.length >= maxAttempts) return this.#exhausted(job, maxAttempts);
    const sent = await this.#send(job);
    // When the outcome was known: the status page's "last delivery" time.
    const answeredAt = this.#now();
    const { outcome, request } = sent;
    // An attempt that was never sent says nothing of how the receiver answers.
    if (request) {
      this.#deps.limiter.observe(integration.name, outcome.durationMs, answeredAt.getTime());
      this.#deps.metrics.attemptDuration.observe(integration.name, outcome.durationMs / 1000);
    }
    const attemptNumber = job.attempts.length + 1;
    this.#logAttempt(job, attemptNumber, outcome);

    const decision = decideNext(outcome, attemptNumber, integration.webhook.retry, this.#random);
    if (decision.action === "delivered") {
      this.#count(job, "delivered", outcome, answeredAt);
      const again = this.#failures.delivered(integration.name);
      if (again) this.#deps.log.info({ integration: integration.name }, again);
      return "delivered";
    }
    // Not a receiver failing: the dead letter's warning says why nothing was sent.
    if (request) this.#noteFailing(job, outcome, answeredAt);
    // Only a record that is kept needs the attempt history.
    const attempts = [...job.attempts, attemptRecordOf(sent.startedAt, outcome)];
    if (decision.action === "retry") {
      const notBefore = new Date(this.#now().getTime() + decision.delayMs);
      await this.#deps.queue.scheduleRetry(
        toRecord(job, attempts, notBefore),
        recordId(job, attempts.length),
      );
      this.#count(job, "retried", outcome, answeredAt);
      return "retried";
    }
    await this.#deadLetter(job, attempts, sent, decision.reason);
    this.#count(job, "dead-lettered", outcome, answeredAt);
    return "dead-lettered";
  }

  /**
   * Waits for a request slot, renders the request and sends it. Throws AttemptAbortedError
   * when shutdown aborted it: the caller hands the message back.
   */
  async #send(job: Job): Promise<SentAttempt> {
    const { integration } = job.active;
    const { sender, signal, requests } = this.#deps;
    const waiting = requests.acquire(integration.name, signal);
    if (waiting) await turnOrHandBack(waiting);
    // Rendered once its turn has come, so that its timestamp and signature are fresh.
    const startedAt = this.#now();
    const rendered = renderOrFailure(job, startedAt);
    // An attempt that sent nothing (an empty path argument, a rendering bug) has no request.
    if ("kind" in rendered) {
      requests.release(integration.name);
      return { startedAt, request: undefined, outcome: rendered };
    }
    let outcome: AttemptOutcome;
    try {
      outcome = await sender.send(rendered, {
        timeoutMs: integration.webhook.timeoutMs,
        tlsCa: integration.webhook.tlsCa,
        secretHost: integration.shown?.secretHost,
        signal,
      });
    } finally {
      requests.release(integration.name);
    }
    // An answer that came in as shutdown began still counts: sending it again would repeat it.
    if (outcome.kind === "error" && outcome.code === "ABORTED") {
      throw new AttemptAbortedError("shutdown aborted the attempt");
    }
    return { startedAt, request: rendered, outcome };
  }

  /** Keeps the delivery in the dead-letter queue, with what it sent and got, secrets masked. */
  async #deadLetter(
    job: Job,
    attempts: AttemptRecord[],
    { startedAt, request, outcome }: SentAttempt,
    decided: string,
  ): Promise<void> {
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
    await this.#keep(job, deadLetterOf(job, attempts, last, reason, masked, this.#now()));
  }

  async #keep(job: Job, record: DeadLetterRecord): Promise<void> {
    await this.#deps.queue.deadLetter(record);
    this.#deadLetterLog.deadLettered({
      integration: job.active.integration.name,
      webhookId: job.webhookId,
      eventId: loggedText(job.event.id),
      reason: record.reason,
    });
  }

  async #exhausted(job: Job, maxAttempts: number): Promise<JobResult> {
    const record = exhaustedDeadLetter(job, maxAttempts, this.#now());
    await this.#keep(job, record);
    this.#deps.stats.record(job.active.integration.name, {
      at: this.#isoTime(this.#now()),
      outcome: "dead-lettered",
      status: record.lastStatus,
      error: record.lastError,
    });
    return "dead-lettered";
  }

  /** At the default level, a failing receiver shows from its first failure (FailureLog). */
  #noteFailing(job: Job, outcome: AttemptOutcome, at: Date) {
    const name = job.active.integration.name;
    const warning = this.#failures.failed(name, at.getTime(), () => describeOutcome(outcome));
    if (warning) {
      const what = describeOutcome(outcome);
      this.#deps.log.warn({ integration: name, webhookId: job.webhookId, outcome: what }, warning);
    }
  }

  #count(
    job: Job,
    outcome: "delivered" | "retried" | "dead-lettered",
    result: AttemptOutcome,
    at: Date,
  ) {
    this.#deps.stats.record(job.active.integration.name, {
      at: this.#isoTime(at),
      outcome,
      status: result.kind === "response" ? result.status : null,
      error: result.kind === "error" ? result.message : null,
    });
  }

  #logAttempt(job: Job, attempt: number, outcome: AttemptOutcome) {
    const { log } = this.#deps;
    if (!log.isLevelEnabled("debug")) return;
    log.debug(
      {
        integration: job.active.integration.name,
        eventId: loggedText(job.event.id),
        webhookId: job.webhookId,
        attempt,
        status: outcome.kind === "response" ? outcome.status : undefined,
        error: outcome.kind === "error" ? outcome.message : undefined,
        durationMs: Math.round(outcome.durationMs),
      },
      "webhook attempt",
    );
  }
}

/**
 * A wait for a request slot ends in one, in a park (`SlotWaitTimeoutError`, rethrown), or at
 * shutdown, which hands the delivery back unattempted.
 */
async function turnOrHandBack(waiting: Promise<void>): Promise<void> {
  try {
    await waiting;
  } catch (error) {
    if (error instanceof SlotWaitTimeoutError) throw error;
    throw new AttemptAbortedError("shutdown ended the wait for a request slot", { cause: error });
  }
}

/**
 * The request to send, or the outcome of an attempt that sends none: a permanent failure of
 * the one delivery, whose dead letter keeps the event for a replay once the integration is
 * fixed. Rendering takes event data that passed the schema and should never throw; if it
 * does, that too fails the one delivery rather than handing the whole event back to NATS
 * again and again.
 */
function renderOrFailure(job: Job, at: Date): WebhookRequest | AttemptOutcome {
  let rendered: Rendering;
  try {
    rendered = job.active.render(job.event, at, job.webhookId);
  } catch (error) {
    if (error instanceof RequestTooLargeError) return tooLargeOutcome(error);
    return renderFailure(coerceError(error));
  }
  return "unsendable" in rendered ? unsendableOutcome(rendered) : rendered;
}
