/**
 * One attempt's sending: a turn at the request slots, the request rendered when that turn
 * comes, and the answer. What follows from the answer is the dispatcher's.
 */
import { coerceError } from "../errors.js";
import { renderFailure, tooLargeOutcome, unsendableOutcome } from "./attempt-failure.js";
import { SlotWaitTimeoutError, type RequestSlots } from "./concurrency/request-slots.js";
import { sameDefinition } from "../config/fingerprint.js";
import type { Integration } from "../config/types.js";
import { AttemptAbortedError, IntegrationChangedError, type Job } from "./job.js";
import { RequestTooLargeError } from "./request-size.js";
import type { Sender } from "./send.js";
import type { AttemptOutcome, Rendering, WebhookRequest } from "./types.js";

/** An attempt once sent, or once it turned out it could not be (no request then). */
export interface SentAttempt {
  startedAt: Date;
  request: WebhookRequest | undefined;
  outcome: AttemptOutcome;
}

export interface AttemptSendDeps {
  sender: Sender;
  requests: RequestSlots;
  /** Aborted when shutdown's grace period ends. */
  signal: AbortSignal;
  now: () => Date;
  /** The integration of that name in the configuration in force now (the daemon's). */
  integrationNow?: (name: string) => Integration | undefined;
}

/**
 * Throws IntegrationChangedError when the job's integration is no longer the one in force:
 * its file changed while the delivery waited for its turn. The same object is the common
 * case; a file read again without a change gives an equal one.
 */
export function ensureUnchanged(job: Job, deps: Pick<AttemptSendDeps, "integrationNow">): void {
  const { integration } = job.active;
  if (deps.integrationNow === undefined) return;
  const now = deps.integrationNow(integration.name);
  if (now === integration || sameDefinition(now, integration)) return;
  throw new IntegrationChangedError(
    `integration ${integration.name} was changed, disabled or removed while the delivery waited`,
  );
}

/**
 * Waits for a request slot, renders the request and sends it. Throws AttemptAbortedError
 * when shutdown aborted it: the caller hands the message back; IntegrationChangedError when
 * the integration's file changed during the wait.
 */
export async function sendAttempt(job: Job, deps: AttemptSendDeps): Promise<SentAttempt> {
  const { integration } = job.active;
  const { sender, signal, requests } = deps;
  // Weighed by its event: the body is rendered from it, once the turn has come.
  const waiting = requests.acquire(integration.name, signal, job.bytes);
  if (waiting) await takeTurn(waiting, job, deps);
  // How promptly the receiver answers, from the turn on, decides its share of the slots.
  const sentAt = performance.now();
  // Rendered once its turn has come, so that its timestamp and signature are fresh.
  const startedAt = deps.now();
  const rendered = renderOrFailure(job, startedAt);
  // An attempt that sent nothing (an empty path argument, a rendering bug) has no request.
  if ("kind" in rendered) {
    requests.release(integration.name, job.bytes);
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
    requests.release(integration.name, job.bytes, sentAt);
  }
  // An answer that came in as shutdown began still counts: sending it again would repeat it.
  if (outcome.kind === "error" && outcome.code === "ABORTED") {
    throw new AttemptAbortedError("shutdown aborted the attempt");
  }
  return { startedAt, request: rendered, outcome };
}

/**
 * A wait for a request slot ends in one, in a park (`SlotWaitTimeoutError`, rethrown), or at
 * shutdown, which hands the delivery back unattempted. Once the slot is taken, the
 * integration's file may have changed meanwhile: the slot is then given back unused.
 */
async function takeTurn(waiting: Promise<void>, job: Job, deps: AttemptSendDeps): Promise<void> {
  await turnOrHandBack(waiting);
  try {
    ensureUnchanged(job, deps);
  } catch (error) {
    deps.requests.release(job.active.integration.name, job.bytes);
    throw error;
  }
}

/** See takeTurn. */
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
