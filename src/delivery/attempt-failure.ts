/**
 * What a failed attempt's outcome says: a stable code (the network's own, or TIMEOUT,
 * ABORTED, INVALID_ANSWER, TLS, …) and a one-line message that names the receiver's origin
 * and never its path, query, user-info or a secret host. An attempt that sends nothing has
 * an outcome too (EMPTY_PATH_ARGUMENT, REQUEST_TOO_LARGE, RENDER_FAILED).
 */
import { maxHeaderSize } from "node:http";
import { withoutRuntimeCaAdvice } from "../errors.js";
import { ExchangeTimeoutError } from "./exchange.js";
import { MASK } from "./mask.js";
import { TOO_LARGE_ADVICE, type RequestTooLargeError } from "./request-size.js";
import type { AttemptOutcome, Unsendable } from "./types.js";

/** The longest error message an outcome keeps. */
const MAX_ERROR_CHARS = 300;

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

export interface FailureContext {
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

/**
 * A header section over undici's limit (Node's `http.maxHeaderSize`). It comes back the same
 * at every retry, and undici 7 spends some 80 ms of CPU on each: past the limit it builds an
 * error for every header left in the read (10,000 headers: 14 s of CPU for 180 attempts, and
 * every other integration's requests waiting on the event loop). So it is not retried.
 */
const HEADERS_OVERFLOW = `answered with a header section over ${Math.floor(maxHeaderSize / 1024)} KiB, more than hookswitch reads`;

/** Why an answer is not HTTP hookswitch can read, if that is what went wrong. */
function invalidAnswer(error: unknown, code: string): string | undefined {
  if (code === "UND_ERR_HEADERS_OVERFLOW") return HEADERS_OVERFLOW;
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

/**
 * OpenSSL's own text: `<thread>:error:<code>:<library>:<function>:<reason>:<source file>:<line>:`.
 * Only the reason means anything to an operator.
 */
const OPENSSL_MESSAGE = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/;

/**
 * A TLS failure as an operator can act on it. An https URL on a port that speaks plain HTTP
 * makes OpenSSL read an HTTP answer as a TLS record: "wrong version number".
 */
function tlsDetail(error: unknown, detail: string): string {
  const reason = OPENSSL_MESSAGE.exec(detail)?.[1] ?? withoutRuntimeCaAdvice(detail);
  if (codeOf(error) !== "ERR_SSL_WRONG_VERSION_NUMBER") return reason;
  return `TLS handshake failed (${reason}): the port does not speak TLS; if it serves plain HTTP, use an http:// URL, or else the receiver's TLS port`;
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
  if (code === "TLS") return scrub(`${origin}: ${tlsDetail(error, detail)}`);
  return scrub(`${origin}: ${detail || codeOf(error) || "request failed"}`);
}

export function errorOutcome(
  error: unknown,
  context: FailureContext,
): Omit<AttemptOutcome & { kind: "error" }, "durationMs"> {
  const code = classifyFailure(error, codeOf(error), context);
  const message = failureMessage(error, code, context);
  // Every attempt's error goes into the delivery's record, up to 100 of them.
  const kept = message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}…` : message;
  return { kind: "error", code, message: kept };
}

/** An attempt that sends nothing: the event leaves a path argument empty (render.ts). */
export function unsendableOutcome({ unsendable }: Unsendable): AttemptOutcome {
  return {
    kind: "error",
    code: "EMPTY_PATH_ARGUMENT",
    message:
      `not sent: ${unsendable}, and a request with an empty path segment would go to another ` +
      "URL; if such events are to be sent, change webhook.pathArguments, then replay the dead letter",
    durationMs: 0,
  };
}

/**
 * An attempt that sends nothing: the event would make the request larger than hookswitch
 * sends (request-size.ts). The same event renders the same way every time: no retry.
 */
export function tooLargeOutcome(error: RequestTooLargeError): AttemptOutcome {
  return {
    kind: "error",
    code: "REQUEST_TOO_LARGE",
    message: `not sent: ${error.message}; ${TOO_LARGE_ADVICE}, then replay the dead letter`,
    durationMs: 0,
  };
}

/** An attempt that sends nothing: rendering threw, which is a bug. */
export function renderFailure(error: Error): AttemptOutcome {
  return {
    kind: "error",
    code: "RENDER_FAILED",
    message: `the request could not be rendered (${error.name}: ${error.message.slice(0, 200)}); this is a bug in hookswitch: please report it, and replay the dead letter once fixed`,
    durationMs: 0,
  };
}
