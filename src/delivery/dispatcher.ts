/**
 * One delivery attempt and what follows from it: render, send, decide, and record the
 * outcome durably (delivered, handed to the delivery stream for a retry, or dead-lettered).
 * The only module that knows how an attempt turns into a record (words: job.ts).
 */
import type { Logger } from "pino";
import type { Metrics } from "../http/metrics.js";
import { loggedText } from "../logger.js";
import { ensureUnchanged, sendAttempt, type AttemptSendDeps } from "./attempt-send.js";
import { createDeadLetterLog, type DeadLetterLog } from "./dead-letter-log.js";
import { isoTimeMemo } from "./iso-time.js";
import type { Limiter } from "./concurrency/limiter.js";
import { FailureLog } from "./failure-log.js";
import {
  attemptRecordOf,
  exhaustedDeadLetter,
  recordId,
  sentDeadLetter,
  toRecord,
} from "./job-records.js";
import { decideNext, describeOutcome, holdAfterMs, holdText } from "./retry-policy.js";
import type { RequestSlots } from "./concurrency/request-slots.js";
import type { Sender } from "./send.js";
import type { DeliveryStats } from "./stats.js";
import type { AttemptOutcome } from "./types.js";
import { attemptResultIndex } from "./attempt-result.js";
import type { DurableQueue, Job, JobResult } from "./job.js";
import type { DeadLetterRecord } from "./records.js";

export interface DispatcherDeps {
  sender: Sender;
  /**
   * Requests in flight at once (`--max-in-flight`). An event that matches several
   * integrations starts several attempts: this, not the events taken in, keeps a fan-out's
   * requests within the cap. Its count is the in-flight gauge, read at scrape time.
   */
  requests: RequestSlots;
  /**
   * Told each attempt's duration, which sizes the integration's waiting line, and the
   * receivers that ask for a pause (`Retry-After`).
   */
  limiter: Pick<Limiter, "observe" | "hold">;
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
  /**
   * The integration of that name in force now: an attempt whose integration's file changed
   * while it waited for its turn is not sent as the file was (IntegrationChangedError).
   */
  integrationNow?: AttemptSendDeps["integrationNow"];
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
  readonly #sending: AttemptSendDeps;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#random = deps.random ?? Math.random;
    this.#deadLetterLog = deps.deadLetterLog ?? createDeadLetterLog(deps.log);
    this.#failures = deps.failureLog ?? new FailureLog();
    const { sender, requests, signal, integrationNow } = deps;
    this.#sending = { sender, requests, signal, now: this.#now, integrationNow };
  }

  /** Parks a delivery in the delivery stream without attempting it now. */
  async park(job: Job): Promise<JobResult> {
    const record = toRecord(job, job.attempts, undefined);
    await this.#deps.queue.park(record, recordId(job, job.attempts.length), job.bytes);
    return "parked";
  }

  /**
   * Makes one attempt. The caller holds the integration's concurrency slot; while it waited
   * for that slot, the integration's file may have changed (IntegrationChangedError).
   */
  async attempt(job: Job): Promise<JobResult> {
    ensureUnchanged(job, this.#sending);
    const { integration } = job.active;
    // Lowered while the delivery waited: no more requests to a receiver it was lowered for.
    const { maxAttempts } = integration.webhook.retry;
    if (job.attempts.length >= maxAttempts) return this.#exhausted(job, maxAttempts);
    const sent = await sendAttempt(job, this.#sending);
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
    this.#holdIfAsked(job, outcome, answeredAt);
    // Only a record that is kept needs the attempt history.
    const attempts = [...job.attempts, attemptRecordOf(sent.startedAt, outcome)];
    if (decision.action === "retry") {
      const notBefore = new Date(this.#now().getTime() + decision.delayMs);
      await this.#deps.queue.scheduleRetry(
        toRecord(job, attempts, notBefore),
        recordId(job, attempts.length),
        job.bytes,
      );
      this.#count(job, "retried", outcome, answeredAt);
      return "retried";
    }
    await this.#keep(job, sentDeadLetter(job, attempts, sent, decision.reason, this.#now()));
    this.#count(job, "dead-lettered", outcome, answeredAt);
    return "dead-lettered";
  }

  /** Keeps the delivery in the dead-letter queue, and logs it (in full, or counted). */
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

  /** A receiver's `Retry-After` holds back the integration's other deliveries too. */
  #holdIfAsked(job: Job, outcome: AttemptOutcome, at: Date): void {
    const { name, webhook } = job.active.integration;
    const holdMs = holdAfterMs(outcome, webhook.retry);
    if (holdMs === undefined) return;
    const until = at.getTime() + holdMs;
    if (!this.#deps.limiter.hold(name, until, at.getTime())) return;
    this.#deps.log.info(
      { integration: name, until: new Date(until).toISOString() },
      `the receiver asked for a pause (Retry-After): deliveries to ${name} wait ${holdText(holdMs)}`,
    );
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
    this.#deps.stats.record(
      job.active.integration.name,
      {
        at: this.#isoTime(at),
        outcome,
        status: result.kind === "response" ? result.status : null,
        error: result.kind === "error" ? result.message : null,
      },
      attemptResultIndex(result),
    );
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
