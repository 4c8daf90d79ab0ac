/**
 * The HTTP edge of delivery: one attempt in, one AttemptOutcome out; never throws for a
 * network failure: it is an outcome, retried or dead-lettered like an answer.
 *
 * - undici's dispatcher interface (see exchange.ts) on pooled keep-alive Agents: one for the
 *   system trust store, one per private CA (`webhook.tls.ca`), each per attempt timeout (the
 *   connections' set-up is bounded by it), created on first use. Certificates are always
 *   verified.
 * - Redirects are not followed: a 3xx is just an answer.
 * - The egress policy is applied when a connection is made (guarded-connect.ts).
 * - A failure becomes a code and a message that keeps secrets out (attempt-failure.ts).
 * - One deadline (`timeoutMs`) covers connect, headers and body.
 * - Once the status line and headers are in, the receiver has answered: the outcome is that
 *   response even if the body then stalls or breaks. Only the first `maxResponseBytes` of the
 *   body are kept; a little more is drained so the connection can be reused, and anything
 *   longer is cut off by closing the connection — a receiver streaming gigabytes costs nothing.
 */
import { Agent } from "undici";
import { coerceError } from "../errors.js";
import { errorOutcome } from "./attempt-failure.js";
import { exchange, type Answer, type Exchange } from "./exchange.js";
import { guardedConnector } from "./guarded-connect.js";
import { SlotSet } from "./concurrency/slot-set.js";
import type { EgressPolicy } from "./egress.js";
import { parseRetryAfter } from "./retry-policy.js";
import type { AttemptOutcome, WebhookRequest } from "./types.js";

export interface SenderOptions {
  egress: EgressPolicy;
  /** Keep-alive connections per origin (default 32). */
  connections?: number;
  /** How much of a response body is kept as `bodyStart` (default 1 KiB). */
  maxResponseBytes?: number;
}

export interface SendOptions {
  /** Deadline for the whole attempt: connect, headers and body. */
  timeoutMs: number;
  /** PEM text of a private CA to trust besides the system's. */
  tlsCa?: string;
  /** Aborts the attempt (shutdown); the outcome is then an `ABORTED` error. */
  signal?: AbortSignal;
  /** The URL's host came from a secret reference: a failure's message names no host. */
  secretHost?: boolean;
}

export interface Sender {
  send(request: WebhookRequest, options: SendOptions): Promise<AttemptOutcome>;
  /** Closes every pooled connection once in-flight requests are done. */
  close(): Promise<void>;
}

/** Body bytes read past `bodyStart` to keep a connection reusable; beyond this, close it. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

let connectionsReturned: Promise<void> | undefined;

/**
 * Resolves once every connection whose answer came in during this turn of the event loop
 * is back in its pool. undici queues an Immediate for each as its answer ends, and an
 * Immediate queued while Immediates are running waits for the next turn: it runs after all
 * of them. One wait for all the answers of a turn instead of an Immediate for each; an
 * attempt so ends a turn later than with its own, holding its slots that much longer.
 */
function connectionsBack(): Promise<void> {
  connectionsReturned ??= new Promise<void>((resolve) => {
    setImmediate(() => {
      connectionsReturned = undefined;
      setImmediate(resolve);
    });
  });
  return connectionsReturned;
}

function msSince(started: number): number {
  return Math.round(performance.now() - started);
}

export function createSender(options: SenderOptions): Sender {
  return new PooledSender(options);
}

/** Attempts on keep-alive connections, pooled by trusted CA and attempt timeout. */
class PooledSender implements Sender {
  readonly #options: SenderOptions;
  readonly #maxResponseBytes: number;
  /**
   * Agents by trusted CA, then by attempt timeout. undici goes on setting up a connection
   * after the request that asked for it ended: a receiver that takes the TCP connection and
   * never finishes the TLS handshake would keep each socket until a fixed connect timeout,
   * long after the attempt's deadline. With the attempt's timeout as its connect timeout, the
   * socket goes when the attempt does. Integrations use a handful of timeouts.
   */
  readonly #agents = new Map<string, Map<number, Agent>>();
  /** In-flight exchanges, so that one listener per caller signal can end them all. */
  readonly #live = new SlotSet<Exchange>();
  readonly #watched = new WeakSet<AbortSignal>();

  constructor(options: SenderOptions) {
    this.#options = options;
    this.#maxResponseBytes = options.maxResponseBytes ?? 1024;
  }

  async send(webhook: WebhookRequest, sendOptions: SendOptions): Promise<AttemptOutcome> {
    const started = performance.now();
    const { signal, timeoutMs } = sendOptions;
    let slot: number | undefined;
    try {
      if (signal?.aborted) throw coerceError(signal.reason);
      if (signal) this.#abortAllOn(signal);
      const running = exchange(this.#agentFor(sendOptions.tlsCa, timeoutMs), webhook, {
        timeoutMs,
        maxBodyBytes: this.#maxResponseBytes,
        drainBytes: DRAIN_LIMIT_BYTES,
      });
      slot = this.#live.add(running);
      const answer = await running.answer;
      // undici hands a keep-alive connection back to its pool only on the next turn of the
      // event loop (setImmediate). A request sent before then (a busy integration's next
      // delivery, at once) finds every connection busy, and the pool opens another: twice
      // the connections in flight, each costing the receiver and us. So the attempt ends
      // once its connection is back.
      await connectionsBack();
      return responseOutcome(answer, started);
    } catch (error) {
      return failureOutcome(error, webhook, sendOptions, started);
    } finally {
      if (slot !== undefined) this.#live.delete(slot);
    }
  }

  async close(): Promise<void> {
    // Each attempt in flight ends by its deadline. undici's own close would also wait for
    // connections still being set up for attempts that have ended (it keeps their requests
    // queued until then): once every attempt is over, nothing is left worth waiting for.
    await Promise.allSettled([...this.#live].map((running) => running.answer));
    const closing = [...this.#agents.values()].flatMap((byTimeout) => [...byTimeout.values()]);
    this.#agents.clear();
    await Promise.all(closing.map((agent) => agent.destroy()));
  }

  #agentFor(tlsCa: string | undefined, timeoutMs: number): Agent {
    const key = tlsCa ?? "";
    let byTimeout = this.#agents.get(key);
    if (!byTimeout) this.#agents.set(key, (byTimeout = new Map<number, Agent>()));
    let agent = byTimeout.get(timeoutMs);
    if (!agent) {
      agent = new Agent({
        connections: this.#options.connections ?? 32,
        pipelining: 1,
        connect: guardedConnector(this.#options.egress, tlsCa, timeoutMs),
      });
      byTimeout.set(timeoutMs, agent);
    }
    return agent;
  }

  #abortAllOn(signal: AbortSignal): void {
    if (this.#watched.has(signal)) return;
    this.#watched.add(signal);
    signal.addEventListener(
      "abort",
      () => {
        for (const running of this.#live) running.abort(coerceError(signal.reason));
      },
      { once: true },
    );
  }
}

/** The receiver answered: the outcome is that response. */
function responseOutcome(answer: Answer, started: number): AttemptOutcome {
  return {
    kind: "response",
    status: answer.status,
    retryAfterMs: parseRetryAfter(answer.retryAfter, Date.now()),
    bodyStart: answer.bodyStart,
    durationMs: msSince(started),
    location: answer.location,
  };
}

/** No answer: the failure as a code and a message that keeps secrets out. */
function failureOutcome(
  error: unknown,
  webhook: WebhookRequest,
  sendOptions: SendOptions,
  started: number,
): AttemptOutcome {
  const context = { ...sendOptions, url: webhook.url };
  return { ...errorOutcome(error, context), durationMs: msSince(started) };
}
