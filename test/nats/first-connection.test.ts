import { describe, expect, it } from "vitest";
import { errors } from "@nats-io/transport-node";
import { isLoginRefused, reminderDue } from "../../src/nats/first-connection.js";

describe("when the wait for a first NATS connection warns", () => {
  it.each([
    { waitedMs: 0, sinceLastMs: undefined, due: false, why: "not at the first failure" },
    { waitedMs: 1_999, sinceLastMs: undefined, due: false, why: "not before 2 s" },
    { waitedMs: 2_000, sinceLastMs: undefined, due: true, why: "at 2 s" },
    { waitedMs: 7_000, sinceLastMs: undefined, due: true, why: "late when an attempt was slow" },
    { waitedMs: 20_000, sinceLastMs: 18_000, due: false, why: "not again within half a minute" },
    { waitedMs: 32_000, sinceLastMs: 30_000, due: true, why: "again after half a minute" },
  ])("$why", ({ waitedMs, sinceLastMs, due }) => {
    expect(reminderDue(waitedMs, sinceLastMs)).toBe(due);
  });
});

describe("which failed attempts are a refused login", () => {
  it.each([
    { error: new errors.AuthorizationError("Authorization Violation"), refused: true },
    {
      error: new errors.UserAuthenticationExpiredError("User Authentication Expired"),
      refused: true,
    },
    { error: new errors.ConnectionError("connection refused"), refused: false },
    { error: new Error("TLS not available"), refused: false },
    { error: undefined, refused: false },
  ])("$error is refused: $refused", ({ error, refused }) => {
    expect(isLoginRefused(error)).toBe(refused);
  });
});
