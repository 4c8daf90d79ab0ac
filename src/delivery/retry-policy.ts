/**
 * Pure retry decisions (docs/receivers.md, "What to answer" and "The retry schedule"). No
 * clock, no randomness of its own: callers pass `now` and `random`, so every schedule is
 * reproducible in tests.
 */
import type { RetryPolicy } from "../config/types.js";
import type { AttemptOutcome } from "./types.js";
import { doublingDelayMs } from "../backoff.js";

export type OutcomeClass = "success" | "retryable" | "permanent";

export type NextStep =
  | { action: "delivered" }
  | { action: "retry"; delayMs: number }
  | { action: "dead-letter"; reason: string };

/** Status codes that say "not now, try later": timeouts, too early, too many requests. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/**
 * Error codes that no retry can fix: the request itself is refused, malformed or
 * unrenderable, or the receiver answers what is not a final HTTP answer (an unasked 1xx),
 * as a 1xx status is a permanent outcome below, or what hookswitch does not read (a header
 * section over the limit); retried, it would be sent again each time.
 */
const PERMANENT_ERROR_CODES = new Set([
  "EGRESS_DENIED",
  "INVALID_REQUEST",
  "RENDER_FAILED",
  "EMPTY_PATH_ARGUMENT",
  "REQUEST_TOO_LARGE",
  "INVALID_ANSWER",
]);

/**
 * Attempts that sent nothing (attempt-failure.ts): their message says why and what to do,
 * and a request never made was not "retried" or not.
 */
const UNSENT_ERROR_CODES = new Set(["RENDER_FAILED", "EMPTY_PATH_ARGUMENT", "REQUEST_TOO_LARGE"]);

/**
 * 2xx is success; 408, 425, 429, 5xx and network errors are retried; everything else is
 * permanent: other 4xx (410 included), 3xx (redirects are not followed), and 1xx or
 * out-of-range codes, which no well-behaved receiver sends as a final answer.
 */
export function classifyOutcome(outcome: AttemptOutcome): OutcomeClass {
  if (outcome.kind === "error") {
    return PERMANENT_ERROR_CODES.has(outcome.code) ? "permanent" : "retryable";
  }
  const { status } = outcome;
  if (status >= 200 && status <= 299) return "success";
  if (RETRYABLE_4XX.has(status) || (status >= 500 && status <= 599)) return "retryable";
  return "permanent";
}

/** A short description of an outcome for dead-letter reasons and logs. */
export function describeOutcome(outcome: AttemptOutcome): string {
  return outcome.kind === "response"
    ? `HTTP ${outcome.status}`
    : `${outcome.code}: ${outcome.message}`;
}

/**
 * Why a 3xx answer is dead-lettered, naming where it pointed (`location` as output may show
 * it): the operator can then configure that URL, if it is the right one.
 */
export function redirectReason(status: number, location: string): string {
  return `HTTP ${status}, redirected to ${location} (not followed): configure that URL if it is the right one`;
}

/**
 * The nominal exponential delay before retry number `retryNumber` (1-based):
 * initialDelay, 2×, 4×, … capped at maxDelay.
 */
export function nominalDelayMs(retryNumber: number, policy: RetryPolicy): number {
  return doublingDelayMs(retryNumber - 1, policy.initialDelayMs, policy.maxDelayMs);
}

/**
 * The wait before retry `retryNumber` (n): "equal jitter", drawn between u/2 and u with
 * u = min(maxDelay, initialDelay × 2^n), that is from the nominal delay to twice it, and
 * near the cap from half of maxDelay to maxDelay; never below initialDelay nor above
 * maxDelay, the bounds an integration file gives. Full jitter (uniform from 0) spreads load
 * best when many clients compete for one resource, but it can draw a delay near zero: a
 * receiver that is down needs the pause, and operators need `maxAttempts` to span a
 * predictable time before a dead letter. This keeps each wait within a factor of two and
 * still de-synchronises deliveries that failed together, the first retry included.
 */
export function backoffDelayMs(
  retryNumber: number,
  policy: RetryPolicy,
  random: () => number,
): number {
  const upper = Math.min(policy.maxDelayMs, 2 * nominalDelayMs(retryNumber, policy));
  const lower = Math.max(policy.initialDelayMs, upper / 2);
  return Math.round(lower + clampUnit(random()) * (upper - lower));
}

function clampUnit(value: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
}

/** The share of a `Retry-After` its wait may run past it (see `retryAfterDelayMs`). */
const RETRY_AFTER_SPREAD = 0.1;

/**
 * The wait a `Retry-After` asks for, spread over up to a tenth more: the deliveries a
 * receiver refused together, with one `Retry-After`, do not all come back at one moment.
 */
function retryAfterDelayMs(retryAfterMs: number, random: () => number): number {
  return Math.round(retryAfterMs * (1 + RETRY_AFTER_SPREAD * clampUnit(random())));
}

/**
 * What to do after attempt number `attemptNumber` (1-based) came to `outcome`.
 * A `Retry-After` is honoured as a lower bound — a receiver asking for a pause expects no
 * request before it — and, like every delay, capped at maxDelay.
 */
export function decideNext(
  outcome: AttemptOutcome,
  attemptNumber: number,
  policy: RetryPolicy,
  random: () => number,
): NextStep {
  const verdict = classifyOutcome(outcome);
  if (verdict === "success") return { action: "delivered" };
  const what = describeOutcome(outcome);
  if (verdict === "permanent") {
    const unsent = outcome.kind === "error" && UNSENT_ERROR_CODES.has(outcome.code);
    // An error's message is a sentence of its own: "not retried" follows it, not its last word.
    const notRetried =
      outcome.kind === "response" ? `${what} is not retried` : `${what} (not retried)`;
    return { action: "dead-letter", reason: unsent ? what : notRetried };
  }
  if (attemptNumber >= policy.maxAttempts) {
    const attempts = attemptNumber === 1 ? "1 attempt" : `${attemptNumber} attempts`;
    return { action: "dead-letter", reason: `gave up after ${attempts}: ${what}` };
  }
  const backoff = backoffDelayMs(attemptNumber, policy, random);
  const retryAfter = outcome.kind === "response" ? (outcome.retryAfterMs ?? 0) : 0;
  const delayMs = retryAfter > backoff ? retryAfterDelayMs(retryAfter, random) : backoff;
  return { action: "retry", delayMs: Math.min(policy.maxDelayMs, delayMs) };
}

/**
 * How long a receiver asked for its integration to be left alone, in ms: the
 * `Retry-After` of an answer that is retried (429, 503…), capped at maxDelay. Other
 * deliveries to it wait as long, so that the wait costs none of their attempts.
 */
export function holdAfterMs(outcome: AttemptOutcome, policy: RetryPolicy): number | undefined {
  if (outcome.kind !== "response" || !outcome.retryAfterMs) return undefined;
  if (classifyOutcome(outcome) !== "retryable") return undefined;
  return Math.min(policy.maxDelayMs, outcome.retryAfterMs);
}

/** A hold as the log says it: whole seconds, or milliseconds under one (a short maxDelay). */
export function holdText(holdMs: number): string {
  const ms = Math.ceil(holdMs);
  return ms < 1_000 ? `${ms} ms` : `${Math.ceil(ms / 1_000)} s`;
}

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH = `(?<month>${MONTHS.join("|")})`;
const TIME = "(?<hour>\\d{2}):(?<minute>\\d{2}):(?<second>\\d{2})";
/** RFC 9110 section 5.6.7's three forms: IMF-fixdate, and the obsolete RFC 850 and asctime. */
const HTTP_DATE = [
  new RegExp(`^${DAY}, (?<day>\\d{2}) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`, "i"),
  new RegExp(
    `^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (?<day>\\d{2})-${MONTH}-(?<yy>\\d{2}) ${TIME} GMT$`,
    "i",
  ),
  // The asctime form carries no zone but is GMT by definition.
  new RegExp(`^${DAY} ${MONTH} (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`, "i"),
];

/**
 * Parses a `Retry-After` header: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3).
 * Returns milliseconds from `nowMs` (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = httpDateMs(text, nowMs);
  return at === undefined ? undefined : Math.max(0, at - nowMs);
}

/**
 * An HTTP-date read by its parts: Date.parse reads far looser text (`Mon 9999` as a year)
 * and rolls impossible dates over (31 Feb as 3 March), which are refused here.
 */
function httpDateMs(text: string, nowMs: number): number | undefined {
  const parts = HTTP_DATE.map((form) => form.exec(text)?.groups).find(Boolean);
  if (!parts) return undefined;
  const [day, hour, minute, second] = [
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  ];
  const month = MONTHS.indexOf(parts.month!.toLowerCase());
  const year = parts.year === undefined ? rfc850Year(Number(parts.yy), nowMs) : Number(parts.year);
  if (second > 60) return undefined;
  const at = new Date(0);
  at.setUTCFullYear(year, month, day);
  at.setUTCHours(hour, minute, Math.min(second, 59));
  const exact =
    at.getUTCDate() === day && at.getUTCHours() === hour && at.getUTCMinutes() === minute;
  // A leap second (:60) is the one after :59.
  return exact ? at.getTime() + (second === 60 ? 1_000 : 0) : undefined;
}

/**
 * A two-digit year is in the current century, unless that is more than 50 years ahead: then
 * it is the last such year past (RFC 9110 section 5.6.7).
 */
function rfc850Year(yy: number, nowMs: number): number {
  const thisYear = new Date(nowMs).getUTCFullYear();
  const year = thisYear - (thisYear % 100) + yy;
  return year > thisYear + 50 ? year - 100 : year;
}
