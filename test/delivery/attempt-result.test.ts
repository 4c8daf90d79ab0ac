import { describe, expect, it } from "vitest";
import {
  ATTEMPT_RESULTS,
  attemptResult,
  attemptResultIndex,
} from "../../src/delivery/attempt-result.js";
import type { AttemptOutcome } from "../../src/delivery/types.js";

const answered = (status: number): AttemptOutcome => ({
  kind: "response",
  status,
  retryAfterMs: undefined,
  bodyStart: "",
  durationMs: 1,
  location: undefined,
});
const failed = (code: string): AttemptOutcome => ({
  kind: "error",
  code,
  message: "",
  durationMs: 1,
});

describe("attemptResult: what an attempt came to, for hookswitch_attempts_total", () => {
  it.each([
    [answered(200), "2xx"],
    [answered(204), "2xx"],
    [answered(299), "2xx"],
    [answered(300), "3xx"],
    [answered(301), "3xx"],
    [answered(399), "3xx"],
    [answered(400), "4xx"],
    [answered(401), "4xx"],
    [answered(410), "4xx"],
    [answered(499), "4xx"],
    [answered(429), "429"],
    [answered(500), "5xx"],
    [answered(503), "5xx"],
    [answered(599), "5xx"],
    [answered(101), "other"],
    [answered(600), "other"],
    [failed("TIMEOUT"), "timeout"],
    [failed("ECONNREFUSED"), "connection"],
    [failed("ECONNRESET"), "connection"],
    [failed("NETWORK_ERROR"), "connection"],
    [failed("ENOTFOUND"), "dns"],
    [failed("EAI_AGAIN"), "dns"],
    [failed("TLS"), "tls"],
    [failed("INVALID_ANSWER"), "invalid_answer"],
    [failed("EGRESS_DENIED"), "egress_denied"],
    [failed("INVALID_REQUEST"), "not_sent"],
    [failed("RENDER_FAILED"), "not_sent"],
    [failed("EMPTY_PATH_ARGUMENT"), "not_sent"],
    [failed("REQUEST_TOO_LARGE"), "not_sent"],
    // A code that only looks like an own property of every object.
    [failed("toString"), "connection"],
  ])("takes %j as %s", (outcome, result) => {
    expect(attemptResult(outcome)).toBe(result);
    expect(ATTEMPT_RESULTS[attemptResultIndex(outcome)]).toBe(result);
  });

  it("names its results as Prometheus label values are written: lower case, no hyphen", () => {
    for (const result of ATTEMPT_RESULTS) expect(result).toMatch(/^[0-9a-z_]+$/);
  });
});
