/**
 * What an attempt came to, in the few words an operator's dashboards and alerts group by:
 * the answer's class, or why no answer came, or why nothing was sent. A receiver that is
 * down (connection, timeout, 5xx) and credentials gone stale (4xx) then look different
 * without reading logs.
 */
import type { AttemptOutcome } from "./types.js";

export const ATTEMPT_RESULTS = [
  "2xx",
  "3xx",
  "4xx",
  "429",
  "5xx",
  "timeout",
  "connection",
  "dns",
  "tls",
  "invalid_answer",
  "egress_denied",
  "not_sent",
  "other",
] as const;

export type AttemptResult = (typeof ATTEMPT_RESULTS)[number];

/** Error codes of attempts that failed before an answer (attempt-failure.ts names them). */
const BY_CODE: Readonly<Record<string, AttemptResult>> = {
  TIMEOUT: "timeout",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  TLS: "tls",
  INVALID_ANSWER: "invalid_answer",
  EGRESS_DENIED: "egress_denied",
  INVALID_REQUEST: "not_sent",
  RENDER_FAILED: "not_sent",
  EMPTY_PATH_ARGUMENT: "not_sent",
  REQUEST_TOO_LARGE: "not_sent",
};

const INDEX = new Map<AttemptResult, number>(ATTEMPT_RESULTS.map((result, i) => [result, i]));

/** The attempt's result, as its index in ATTEMPT_RESULTS (counted in a plain array). */
export function attemptResultIndex(outcome: AttemptOutcome): number {
  return INDEX.get(attemptResult(outcome))!;
}

export function attemptResult(outcome: AttemptOutcome): AttemptResult {
  if (outcome.kind === "response") return statusClass(outcome.status);
  // Every other code is a connection that failed or dropped (ECONNREFUSED, ECONNRESET…).
  return Object.hasOwn(BY_CODE, outcome.code) ? BY_CODE[outcome.code]! : "connection";
}

function statusClass(status: number): AttemptResult {
  if (status === 429) return "429";
  if (status >= 200 && status <= 299) return "2xx";
  if (status >= 300 && status <= 399) return "3xx";
  if (status >= 400 && status <= 499) return "4xx";
  if (status >= 500 && status <= 599) return "5xx";
  return "other";
}
