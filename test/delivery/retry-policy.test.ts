import { describe, expect, it } from "vitest";
import type { RetryPolicy } from "../../src/config/types.js";
import type { AttemptOutcome } from "../../src/delivery/types.js";
import {
  backoffDelayMs,
  classifyOutcome,
  decideNext,
  holdAfterMs,
  holdText,
  nominalDelayMs,
  parseRetryAfter,
  redirectReason,
} from "../../src/delivery/retry-policy.js";

const response = (status: number, retryAfterMs?: number): AttemptOutcome => ({
  kind: "response",
  status,
  retryAfterMs,
  bodyStart: "",
  durationMs: 5,
  location: undefined,
});
const failure = (code: string, message = "boom"): AttemptOutcome => ({
  kind: "error",
  code,
  message,
  durationMs: 5,
});

const policy: RetryPolicy = { maxAttempts: 12, initialDelayMs: 1_000, maxDelayMs: 60_000 };
const low = () => 0;
const high = () => 1;
const middle = () => 0.5;

describe("classifyOutcome", () => {
  it.each([
    [200, "success"],
    [201, "success"],
    [204, "success"],
    [299, "success"],
    [100, "permanent"],
    [101, "permanent"],
    [301, "permanent"],
    [302, "permanent"],
    [304, "permanent"],
    [307, "permanent"],
    [400, "permanent"],
    [401, "permanent"],
    [403, "permanent"],
    [404, "permanent"],
    [409, "permanent"],
    [410, "permanent"],
    [413, "permanent"],
    [422, "permanent"],
    [408, "retryable"],
    [425, "retryable"],
    [429, "retryable"],
    [500, "retryable"],
    [502, "retryable"],
    [503, "retryable"],
    [504, "retryable"],
    [599, "retryable"],
    [600, "permanent"],
  ])("calls HTTP %i %s", (status, expected) => {
    expect(classifyOutcome(response(status))).toBe(expected);
  });

  it.each([
    ["ECONNREFUSED", "retryable"],
    ["ECONNRESET", "retryable"],
    ["INVALID_ANSWER", "permanent"],
    ["TIMEOUT", "retryable"],
    ["ENOTFOUND", "retryable"],
    ["TLS", "retryable"],
    ["NETWORK_ERROR", "retryable"],
    ["EGRESS_DENIED", "permanent"],
    ["INVALID_REQUEST", "permanent"],
  ])("calls the error %s %s", (code, expected) => {
    expect(classifyOutcome(failure(code))).toBe(expected);
  });
});

describe("the backoff schedule", () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [6, 32_000],
    [7, 60_000],
    [12, 60_000],
    [500, 60_000],
  ])("has a nominal delay before retry %i of %i ms", (retry, expected) => {
    expect(nominalDelayMs(retry, policy)).toBe(expected);
  });

  // The longest maxDelay a file can write (999999999h) is far above any doubling that matters.
  const vast: RetryPolicy = {
    maxAttempts: 100,
    initialDelayMs: 100,
    maxDelayMs: 999_999_999 * 3_600_000,
  };
  it.each([
    [31, 100 * 2 ** 30],
    [41, 100 * 2 ** 40],
    [42, 100 * 2 ** 40],
    [10_000, 100 * 2 ** 40],
  ])(
    "under the longest maxDelay has a nominal delay before retry %i of %i ms",
    (retry, expected) => {
      expect(nominalDelayMs(retry, vast)).toBe(expected);
    },
  );

  it.each([
    [1, low, 1_000],
    [1, middle, 1_500],
    [1, high, 2_000],
    [3, low, 4_000],
    [3, high, 8_000],
    [5, low, 16_000],
    [5, high, 32_000],
    [6, low, 30_000],
    [6, high, 60_000],
    [7, low, 30_000],
    [7, high, 60_000],
    [500, middle, 45_000],
  ])("waits before retry %i with random %o for %i ms (equal jitter)", (retry, random, ms) => {
    expect(backoffDelayMs(retry, policy, random)).toBe(ms);
  });

  it("rounds a half-millisecond lower bound to the nearest millisecond, up", () => {
    // Retry 5 of 100 ms doubling is 1,600 ms, capped at 1,001: a lower bound of 500.5 ms.
    const capped: RetryPolicy = { maxAttempts: 12, initialDelayMs: 100, maxDelayMs: 1_001 };
    expect(backoffDelayMs(5, capped, low)).toBe(501);
  });

  it.each<[string, RetryPolicy, number, number]>([
    [
      "the defaults",
      { maxAttempts: 12, initialDelayMs: 1_000, maxDelayMs: 3_600_000 },
      1_000,
      2_000,
    ],
    [
      "maxDelay just above initialDelay",
      { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 1_500 },
      1_000,
      1_500,
    ],
    [
      "maxDelay equal to initialDelay",
      { maxAttempts: 3, initialDelayMs: 2_000, maxDelayMs: 2_000 },
      2_000,
      2_000,
    ],
  ])(
    "keeps the first retry of %s within [%i, %i] ms, never below initialDelay",
    (_t, p, lo, hi) => {
      expect([backoffDelayMs(1, p, low), backoffDelayMs(1, p, high)]).toEqual([lo, hi]);
    },
  );

  it.each([
    ["NaN", Number.NaN, 4_000],
    ["Infinity", Infinity, 4_000],
    ["-Infinity", -Infinity, 4_000],
    ["-1", -1, 4_000],
    ["2", 2, 8_000],
  ])(
    "reads a random of %s as the nearest of [0, 1], none a number as 0 (retry 3: %i ms)",
    (_t, value, ms) => {
      expect(backoffDelayMs(3, policy, () => value)).toBe(ms);
    },
  );

  it("never leaves [initialDelay, maxDelay] for any retry, even when random misbehaves", () => {
    const tight = { maxAttempts: 100, initialDelayMs: 700, maxDelayMs: 5_000 };
    for (const value of [-1, 0, 0.3, 1, 2, Number.NaN, Infinity]) {
      for (let retry = 1; retry <= 100; retry++) {
        const delay = backoffDelayMs(retry, tight, () => value);
        expect(delay).toBeGreaterThanOrEqual(700);
        expect(delay).toBeLessThanOrEqual(5_000);
      }
    }
  });
});

describe("decideNext", () => {
  it.each([
    [response(200), 1, { action: "delivered" }],
    [response(204), 12, { action: "delivered" }],
    [response(503), 1, { action: "retry", delayMs: 1_000 }],
    [response(503), 3, { action: "retry", delayMs: 4_000 }],
    [failure("ECONNREFUSED"), 2, { action: "retry", delayMs: 2_000 }],
    [failure("TIMEOUT"), 11, { action: "retry", delayMs: 30_000 }],
    [response(503), 12, { action: "dead-letter", reason: "gave up after 12 attempts: HTTP 503" }],
    [
      failure("TIMEOUT", "no answer within 10000 ms"),
      12,
      {
        action: "dead-letter",
        reason: "gave up after 12 attempts: TIMEOUT: no answer within 10000 ms",
      },
    ],
    [response(400), 1, { action: "dead-letter", reason: "HTTP 400 is not retried" }],
    [response(410), 1, { action: "dead-letter", reason: "HTTP 410 is not retried" }],
    [response(302), 1, { action: "dead-letter", reason: "HTTP 302 is not retried" }],
    [
      failure(
        "EGRESS_DENIED",
        "refused by egress policy: x resolves to 169.254.169.254 (link-local)",
      ),
      1,
      {
        action: "dead-letter",
        reason:
          "EGRESS_DENIED: refused by egress policy: x resolves to 169.254.169.254 (link-local) (not retried)",
      },
    ],
    [
      failure(
        "INVALID_ANSWER",
        "http://127.0.0.1:9 answered 100 Continue unasked (no Expect header was sent): hookswitch reads no answer after it",
      ),
      1,
      {
        action: "dead-letter",
        reason:
          "INVALID_ANSWER: http://127.0.0.1:9 answered 100 Continue unasked (no Expect header was sent): hookswitch reads no answer after it (not retried)",
      },
    ],
    [
      failure("EMPTY_PATH_ARGUMENT", "not sent: webhook.pathArguments[0] is empty"),
      1,
      {
        action: "dead-letter",
        reason: "EMPTY_PATH_ARGUMENT: not sent: webhook.pathArguments[0] is empty",
      },
    ],
    [
      failure("REQUEST_TOO_LARGE", "not sent: the body would be larger than 2 MiB for this event"),
      1,
      {
        action: "dead-letter",
        reason: "REQUEST_TOO_LARGE: not sent: the body would be larger than 2 MiB for this event",
      },
    ],
    [
      failure(
        "RENDER_FAILED",
        "the request could not be rendered (…); replay the dead letter once fixed",
      ),
      1,
      {
        action: "dead-letter",
        reason:
          "RENDER_FAILED: the request could not be rendered (…); replay the dead letter once fixed",
      },
    ],
  ])("turns %j after attempt %i into %j", (outcome, attempt, expected) => {
    expect(decideNext(outcome, attempt, policy, low)).toEqual(expected);
  });

  it("gives up at once when maxAttempts is 1", () => {
    const once = { ...policy, maxAttempts: 1 };
    expect(decideNext(response(500), 1, once, high)).toEqual({
      action: "dead-letter",
      reason: "gave up after 1 attempt: HTTP 500",
    });
  });

  it.each([
    ["a Retry-After longer than the backoff is waited for", 30_000, low, 30_000],
    [
      "a Retry-After longer than the backoff is waited for, and a tenth more at most",
      30_000,
      high,
      33_000,
    ],
    ["a Retry-After shorter than the backoff does not speed retries up", 100, low, 1_000],
    ["a Retry-After past maxDelay is capped at maxDelay", 7_200_000, low, 60_000],
    ["a Retry-After whose spread would pass maxDelay is capped at maxDelay", 58_000, high, 60_000],
    ["a Retry-After of 0 keeps the backoff", 0, high, 2_000],
    ["a Retry-After as long as the backoff keeps the backoff, unspread", 1_500, middle, 1_500],
  ])("honours Retry-After: %s", (_title, retryAfterMs, random, delayMs) => {
    expect(decideNext(response(429, retryAfterMs), 1, policy, random)).toEqual({
      action: "retry",
      delayMs,
    });
  });

  it("spreads the deliveries one Retry-After refused over a tenth past it", () => {
    let seed = 7;
    // A fixed sequence standing for Math.random, so the spread is reproducible.
    const random = () => ((seed = (seed * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
    const delays = Array.from({ length: 200 }, () => {
      const next = decideNext(response(503, 20_000), 1, policy, random);
      return next.action === "retry" ? next.delayMs : NaN;
    });
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(22_000);
    expect(new Set(delays).size).toBeGreaterThan(150);
  });
});

describe("holdAfterMs: how long a receiver asks its integration to be left alone", () => {
  it.each([
    ["a 429 with Retry-After", response(429, 5_000), 5_000],
    ["a 503 with Retry-After", response(503, 30_000), 30_000],
    ["a Retry-After past maxDelay, capped", response(429, 3_600_000), 60_000],
    ["a 429 without Retry-After", response(429), undefined],
    ["a Retry-After of 0", response(503, 0), undefined],
    ["a 200 that carries one", response(200, 5_000), undefined],
    ["a 400 that carries one (not retried)", response(400, 5_000), undefined],
    ["a connection error", failure("ECONNREFUSED"), undefined],
  ])("%s: %s", (_what, outcome, expected) => {
    expect(holdAfterMs(outcome, policy)).toBe(expected);
  });
});

describe("holdText: a hold as the log says it", () => {
  it.each([
    [300, "300 ms"],
    [299.5, "300 ms"],
    [999.2, "1 s"],
    [1_000, "1 s"],
    [2_137, "3 s"],
    [60_000, "60 s"],
  ])("%s ms is %j", (holdMs, text) => {
    expect(holdText(holdMs)).toBe(text);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-28T17:00:00.000Z");
  it.each([
    [undefined, undefined],
    ["", undefined],
    ["0", 0],
    ["120", 120_000],
    [" 5 ", 5_000],
    ["-5", undefined],
    ["1.5", undefined],
    ["soon", undefined],
    ["2026-11-28T17:01:00Z", undefined],
    ["Sat, 28 Nov 2026 17:01:00 GMT", 60_000],
    ["Saturday, 28-Nov-26 17:00:30 GMT", 30_000],
    ["Sat Nov 28 17:00:10 2026", 10_000],
    ["Sat, 28 Nov 2026 16:00:00 GMT", 0],
    ["Sat, 99 Nov 2026 16:00:00 GMT", undefined],
    ["Sun, 29 Nov 2026 17:00:00 GMT", 86_400_000],
    ["Sunday, 29-Nov-26 17:00:00 GMT", 86_400_000],
    ["Sun Nov 29 17:00:00 2026", 86_400_000],
    ["Mon, 30 Nov 2026 17:00:00 GMT", 172_800_000],
    ["Sun Nov  29 17:00:00 2026", undefined],
    ["Sun Nov  1 17:00:00 2026", 0],
    ["Mon 9999", undefined],
    ["sun 1 jan 3000", undefined],
    ["Mon, 30 Nov 2026", undefined],
    ["Mon, 30 Nov 2026 17:00:00 GMT trailing", undefined],
    ["Mon, 30 Nov 2026 17:00:00 PST", undefined],
    ["Monday", undefined],
    ["Tuesday, 01-Dec-26 17:00:00 GMT", 259_200_000],
    // Names in any case, as some servers write them.
    ["sat, 28 nov 2026 17:01:00 gmt", 60_000],
    ["SATURDAY, 28-NOV-26 17:00:30 GMT", 30_000],
    ["sat nov 28 17:00:10 2026", 10_000],
    // Dates that do not exist are unreadable, not rolled over into the next month or day.
    ["Tue, 31 Feb 2026 00:00:00 GMT", undefined],
    ["Mon, 29 Feb 2027 00:00:00 GMT", undefined],
    ["Sat, 00 Nov 2026 17:00:00 GMT", undefined],
    ["Sat, 28 Nov 2026 24:00:00 GMT", undefined],
    ["Sat, 28 Nov 2026 17:60:00 GMT", undefined],
    ["Sat, 28 Nov 2026 17:00:61 GMT", undefined],
    ["Tue, 29 Feb 2028 17:00:00 GMT", Date.UTC(2028, 1, 29, 17) - now],
    // A leap second is the one after :59.
    ["Sat, 28 Nov 2026 17:00:60 GMT", 60_000],
    // Two-digit years: this century, unless more than 50 years ahead (RFC 9110 5.6.7).
    ["Wednesday, 01-Jan-70 00:00:00 GMT", Date.UTC(2070, 0, 1) - now],
    ["Tuesday, 01-Jan-80 00:00:00 GMT", 0],
    ["Wednesday, 01-Jan-76 00:00:00 GMT", Date.UTC(2076, 0, 1) - now],
    // Four-digit years are read as written, however small.
    ["Sat, 28 Nov 0026 17:01:00 GMT", 0],
  ])("reads %j as %j ms", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([
    ["America/New_York", "Sat Nov 28 17:00:10 2026", 10_000],
    ["Asia/Tokyo", "Sat Nov 28 17:00:10 2026", 10_000],
    ["Asia/Tokyo", "Sat, 28 Nov 2026 17:01:00 GMT", 60_000],
  ])("reads a date in %s local time as GMT: %j is %i ms away", (zone, value, expected) => {
    const before = process.env.TZ;
    process.env.TZ = zone;
    try {
      expect(parseRetryAfter(value, now)).toBe(expected);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });
});

describe("redirectReason", () => {
  it("names where a redirect points and what to do", () => {
    expect(redirectReason(301, "https://new.example/hook")).toBe(
      "HTTP 301, redirected to https://new.example/hook (not followed): configure that URL if it is the right one",
    );
  });
});
