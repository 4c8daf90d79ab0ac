/**
 * The HTTP edge of delivery: one attempt in, one AttemptOutcome out; never throws for a
 * network failure (SPEC section 4).
 *
 * - undici's dispatcher interface (see exchange.ts) on pooled keep-alive Agents: one for the system trust store, one per
 *   private CA (`webhook.tls.ca`), created on first use. Certificates are always verified.
 * - Redirects are not followed: a 3xx is just an answer.
 * - The egress policy is applied when a connection is made: a literal IP is judged before any
 *   packet leaves, a hostname right after DNS resolution, and the connected socket's peer
 *   address once more, so neither a hostname nor a literal can reach a refused network.
 * - One deadline (`timeoutMs`) covers connect, headers and body.
 * - Once the status line and headers are in, the receiver has answered: the outcome is that
 *   response even if the body then stalls or breaks. Only the first `maxResponseBytes` of the
 *   body are kept; a little more is drained so the connection can be reused, and anything
 *   longer is cut off by closing the connection — a receiver streaming gigabytes costs nothing.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { rootCertificates } from "node:tls";
import type { LookupFunction } from "node:net";
import { Agent, buildConnector } from "undici";
import { coerceError, EgressDeniedError } from "../errors.js";
import { exchange, ExchangeTimeoutError, type Exchange } from "./exchange.js";
import { MASK } from "./mask.js";
import { SlotSet } from "./slot-set.js";
import type { EgressPolicy } from "./egress.js";
import { normalizeIp } from "./egress.js";
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
/** The longest error message an outcome keeps. */
const MAX_ERROR_CHARS = 300;
/** Upper bound on connection set-up alone; the attempt's deadline usually ends it sooner. */
const CONNECT_TIMEOUT_MS = 60_000;

function refusal(host: string, ip: string, reason: string): EgressDeniedError {
  const literal = normalizeIp(host) !== undefined;
  const target = host === ip ? ip : literal ? `${host} is ${ip}` : `${host} resolves to ${ip}`;
  return new EgressDeniedError(`refused by egress policy: ${target} (${reason})`);
}

/** DNS lookup that refuses the whole answer if any address is refused: no partial smuggling. */
function guardedLookup(egress: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 4);
      for (const { address } of addresses) {
        const verdict = egress.check(address);
        if (!verdict.allowed) return callback(refusal(hostname, address, verdict.reason), "", 4);
      }
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), "", 4);
      // With autoSelectFamily (Node 20's default) net asks for every address.
      if ((options as { all?: boolean }).all) {
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      }
      return callback(null, first.address, first.family);
    });
  };
}

function guardedConnector(
  egress: EgressPolicy,
  tlsCa: string | undefined,
): buildConnector.connector {
  const connector = buildConnector({
    timeout: CONNECT_TIMEOUT_MS,
    lookup: guardedLookup(egress),
    ...(tlsCa === undefined ? {} : { ca: [...rootCertificates, tlsCa] }),
  });
  return (options, callback) => {
    const literal = normalizeIp(options.hostname);
    if (literal !== undefined) {
      const verdict = egress.check(literal);
      if (!verdict.allowed)
        return callback(refusal(options.hostname, literal, verdict.reason), null);
    }
    connector(options, (error, socket) => {
      if (error) return callback(error, null);
      const peer = socket.remoteAddress ?? "";
      const verdict = egress.check(peer);
      if (verdict.allowed) return callback(null, socket);
      socket.destroy();
      return callback(refusal(options.hostname, peer, verdict.reason), null);
    });
  };
}

/** Node and undici error codes passed on as they are: stable, and known to operators. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);
const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);
const INVALID_CODES = new Set(["UND_ERR_INVALID_ARG", "ERR_INVALID_URL", "UND_ERR_NOT_SUPPORTED"]);

interface FailureContext {
  url: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  secretHost?: boolean | undefined;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // autoSelectFamily reports failures on every address as one AggregateError.
  const inner = error instanceof AggregateError ? (error.errors[0] as unknown) : undefined;
  return inner === undefined ? "" : codeOf(inner);
}

/**
 * What undici says of an answer it will not read, and what that means. A `100 Continue`
 * that was not asked for (no request carries `Expect`) makes it drop the connection,
 * whatever follows; so does an unasked `101`; a status below 100 fails an assertion.
 */
const INVALID_ANSWERS: ReadonlyArray<[RegExp, string]> = [
  [
    /^bad response$/,
    "answered 100 Continue unasked (no Expect header was sent): hookswitch reads no answer after it",
  ],
  [
    /^bad upgrade$/,
    "answered 101 Switching Protocols unasked: hookswitch reads no answer after it",
  ],
  [/statusCode >= 100/, "answered with a status code below 100, which is not HTTP"],
];

/** Why an answer is not HTTP hookswitch can read, if that is what went wrong. */
function invalidAnswer(error: unknown, code: string): string | undefined {
  if (code !== "UND_ERR_SOCKET" && code !== "ERR_ASSERTION") return undefined;
  const message = error instanceof Error ? error.message : "";
  return INVALID_ANSWERS.find(([pattern]) => pattern.test(message))?.[1];
}

function classifyFailure(error: unknown, code: string, context: FailureContext): string {
  if (context.signal?.aborted) return "ABORTED";
  if (error instanceof ExchangeTimeoutError || TIMEOUT_CODES.has(code)) return "TIMEOUT";
  if (invalidAnswer(error, code)) return "INVALID_ANSWER";
  if (code === "EGRESS_DENIED" || NETWORK_CODES.has(code)) return code;
  // undici's "other side closed": the receiver dropped the connection.
  if (code === "UND_ERR_SOCKET") return "ECONNRESET";
  if (INVALID_CODES.has(code)) return "INVALID_REQUEST";
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return "TLS";
  return "NETWORK_ERROR";
}

/** The origin alone: user-info, path and query may carry secrets and never reach a message. */
function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/**
 * Replaces anything of the URL beyond its origin that an underlying message might quote,
 * and the host too when it is a secret (DNS and TLS errors name it).
 */
function scrubUrl(message: string, url: string, secretHost: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return message.split(url).join("(invalid URL)");
  }
  const origin = secretHost ? MASK : parsed.origin;
  const whole = [url, parsed.href, parsed.origin].filter((text) => text !== origin);
  const parts = [parsed.search, parsed.username, parsed.password];
  // An IPv6 literal is quoted without its brackets.
  if (secretHost) parts.push(parsed.host, parsed.hostname, parsed.hostname.replace(/^\[|\]$/g, ""));
  const withOrigin = whole.reduce((text, full) => text.split(full).join(origin), message);
  return parts
    .filter((text) => text.length > 1)
    .reduce((text, part) => text.split(part).join(MASK), withOrigin);
}

function failureMessage(error: unknown, code: string, context: FailureContext): string {
  const origin = context.secretHost ? MASK : safeOrigin(context.url);
  const scrub = (text: string) => scrubUrl(text, context.url, context.secretHost === true);
  if (code === "TIMEOUT") return `no complete answer from ${origin} within ${context.timeoutMs} ms`;
  if (code === "ABORTED") return `attempt to ${origin} aborted (shutting down)`;
  if (code === "INVALID_ANSWER") return `${origin} ${invalidAnswer(error, codeOf(error))}`;
  // One line: a message may quote code over several (undici's assertions do).
  const detail = (error instanceof Error ? error.message : String(error))
    .trim()
    .replace(/\s*\n\s*/g, " ");
  if (code === "EGRESS_DENIED") return scrub(detail);
  return scrub(`${origin}: ${detail || codeOf(error) || "request failed"}`);
}

function errorOutcome(
  error: unknown,
  context: FailureContext,
): Omit<AttemptOutcome & { kind: "error" }, "durationMs"> {
  const code = classifyFailure(error, codeOf(error), context);
  const message = failureMessage(error, code, context);
  // Every attempt's error goes into the delivery's record, up to 100 of them.
  const kept = message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}…` : message;
  return { kind: "error", code, message: kept };
}

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
  const maxResponseBytes = options.maxResponseBytes ?? 1024;
  const agents = new Map<string, Agent>();

  const agentFor = (tlsCa: string | undefined): Agent => {
    const key = tlsCa ?? "";
    let agent = agents.get(key);
    if (!agent) {
      agent = new Agent({
        connections: options.connections ?? 32,
        pipelining: 1,
        connect: guardedConnector(options.egress, tlsCa),
      });
      agents.set(key, agent);
    }
    return agent;
  };

  /** In-flight exchanges, so that one listener per caller signal can end them all. */
  const live = new SlotSet<Exchange>();
  const watched = new WeakSet<AbortSignal>();
  const abortAllOn = (signal: AbortSignal) => {
    if (watched.has(signal)) return;
    watched.add(signal);
    signal.addEventListener(
      "abort",
      () => {
        for (const running of live) running.abort(coerceError(signal.reason));
      },
      { once: true },
    );
  };

  const send = async (
    webhook: WebhookRequest,
    sendOptions: SendOptions,
  ): Promise<AttemptOutcome> => {
    const started = performance.now();
    const { signal, timeoutMs } = sendOptions;
    let slot: number | undefined;
    try {
      if (signal?.aborted) throw coerceError(signal.reason);
      if (signal) abortAllOn(signal);
      const running = exchange(agentFor(sendOptions.tlsCa), webhook, {
        timeoutMs,
        maxBodyBytes: maxResponseBytes,
        drainBytes: DRAIN_LIMIT_BYTES,
      });
      slot = live.add(running);
      const answer = await running.answer;
      // undici hands a keep-alive connection back to its pool only on the next turn of the
      // event loop (setImmediate). A request sent before then (a busy integration's next
      // delivery, at once) finds every connection busy, and the pool opens another: twice
      // the connections in flight, each costing the receiver and us. So the attempt ends
      // once its connection is back.
      await connectionsBack();
      return {
        kind: "response",
        status: answer.status,
        retryAfterMs: parseRetryAfter(answer.retryAfter, Date.now()),
        bodyStart: answer.bodyStart,
        durationMs: msSince(started),
      };
    } catch (error) {
      const context = { ...sendOptions, url: webhook.url };
      return { ...errorOutcome(error, context), durationMs: msSince(started) };
    } finally {
      if (slot !== undefined) live.delete(slot);
    }
  };

  return {
    send,
    async close() {
      const closing = [...agents.values()].map((agent) => agent.close());
      agents.clear();
      await Promise.all(closing);
    },
  };
}
