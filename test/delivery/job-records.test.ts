import { afterAll, describe, expect, it } from "vitest";
import type { Integration } from "../../src/config/types.js";
import type { Job } from "../../src/delivery/job.js";
import {
  attemptRecordOf,
  exhaustedDeadLetter,
  sentDeadLetter,
  toRecord,
} from "../../src/delivery/job-records.js";
import { renderRequest } from "../../src/delivery/render.js";
import type { AttemptOutcome, AttemptRecord } from "../../src/delivery/types.js";
import { integrationLoader, makeTempDir, removeDir } from "../support/config-dir.js";
import { makeEvent, makeIntegration, requestOf } from "../support/integration.js";

const dir = makeTempDir("hookswitch-job-records-");
afterAll(() => removeDir(dir));
const loaded = integrationLoader(dir);

const event = makeEvent();
const now = new Date("2026-11-28T17:00:00.000Z");
const EARLIER: AttemptRecord = { at: "2026-11-28T15:00:00.000Z", status: 500 };
const LAST: AttemptRecord = { at: "2026-11-28T16:00:00.000Z", status: 503 };

function jobOf(integration: Integration, extra: Partial<Job> = {}): Job {
  const render = () => {
    throw new Error("not rendered here");
  };
  return {
    active: { integration, render },
    event,
    raw: event,
    webhookId: "msg_1",
    attempts: [],
    bytes: 100,
    ...extra,
  };
}

const response = (status: number, bodyStart = "", location?: string): AttemptOutcome => ({
  kind: "response",
  status,
  retryAfterMs: undefined,
  bodyStart,
  durationMs: 5,
  location,
});

describe("attemptRecordOf", () => {
  it.each<[string, AttemptOutcome, AttemptRecord]>([
    ["an answer by its status", response(500), { at: now.toISOString(), status: 500 }],
    [
      "a failure by its message",
      { kind: "error", code: "TIMEOUT", message: "no answer within 10000 ms", durationMs: 1 },
      { at: now.toISOString(), error: "no answer within 10000 ms" },
    ],
  ])("keeps %s", (_what, outcome, record) => {
    expect(attemptRecordOf(now, outcome)).toEqual(record);
  });
});

describe("the record a delivery waits in", () => {
  it("carries its time to wait for, its replays and the attempts of the runs before it", () => {
    const job = jobOf(makeIntegration(), { replays: 2, earlierAttempts: [EARLIER] });
    expect(toRecord(job, [LAST], new Date(1_000))).toEqual({
      v: 1,
      webhookId: "msg_1",
      integration: "crm",
      event,
      attempts: [LAST],
      notBefore: "1970-01-01T00:00:01.000Z",
      replays: 2,
      earlierAttempts: [EARLIER],
    });
  });

  it("names none of them when it has none", () => {
    const record = toRecord(jobOf(makeIntegration()), [], undefined);
    expect(Object.keys(record).sort()).toEqual(
      ["attempts", "event", "integration", "v", "webhookId"].sort(),
    );
  });
});

describe("the dead letter of a delivery whose maxAttempts was lowered while it waited", () => {
  it.each([
    [[LAST], "gave up after 1 attempt: HTTP 503"],
    [[EARLIER, LAST], "gave up after 2 attempts: HTTP 503"],
  ])("lists the runs before it first, and says why: %j", (attempts, why) => {
    const job = jobOf(makeIntegration(), { attempts, earlierAttempts: [EARLIER], replays: 1 });
    const letter = exhaustedDeadLetter(job, 3, now);
    expect(letter).toMatchObject({
      reason: `${why} (maxAttempts was lowered to 3 while it waited)`,
      attempts: [EARLIER, ...attempts],
      lastStatus: 503,
      firstAttemptAt: EARLIER.at,
      lastAttemptAt: LAST.at,
      deadAt: now.toISOString(),
      replays: 1,
    });
  });
});

describe("the dead letter of a delivery given up after its last attempt", () => {
  const TOKEN = "s3cret-t0ken-4711";
  const withToken = () =>
    loaded(
      { url: "https://crm.example.com/h", auth: { type: "token", token: "${env:T}" } },
      { T: TOKEN },
    );

  it("keeps what it sent and got, the secret masked in both", async () => {
    const integration = await withToken();
    const request = requestOf(renderRequest(integration, event, now));
    const job = jobOf(integration, { replays: 2 });
    const sent = { startedAt: now, request, outcome: response(401, `bad token ${TOKEN}`) };
    const letter = sentDeadLetter(job, [LAST], sent, "HTTP 401 is not retried", now);
    expect(JSON.stringify(letter)).not.toContain(TOKEN);
    expect(letter).toMatchObject({
      reason: "HTTP 401 is not retried",
      lastStatus: 401,
      lastResponseBody: "bad token ****",
      replays: 2,
    });
    expect(letter.request?.headers.Authorization).toBe("Bearer ****");
  });

  it("names where a redirect pointed as its reason", async () => {
    const integration = await withToken();
    const sent = {
      startedAt: now,
      request: undefined,
      outcome: response(302, "", "https://elsewhere.example/x"),
    };
    const letter = sentDeadLetter(jobOf(integration), [LAST], sent, "decided", now);
    expect(letter.reason).toBe(
      "HTTP 302, redirected to https://elsewhere.example/x (not followed): configure that URL if it is the right one",
    );
  });
});
