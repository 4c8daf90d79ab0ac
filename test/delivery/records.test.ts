import { describe, expect, it } from "vitest";
import {
  EARLIER_ATTEMPTS_KEPT,
  earlierAttemptsOf,
  isDeadLetterRecord,
  unroutedDeadLetter,
  unsentDeadLetter,
  type DeliveryRecord,
} from "../../src/delivery/records.js";
const AT = "2026-11-28T17:00:00.000Z";

describe("a dead letter no attempt made", () => {
  it.each<[string, Parameters<typeof unroutedDeadLetter>[0], Record<string, unknown>]>([
    [
      "a valid event",
      { reason: "no NATS deliveries left", event: { id: "e1" }, subject: "pbx.a", deadAt: AT },
      { eventId: "e1", event: { id: "e1" }, subject: "pbx.a" },
    ],
    [
      "an event whose id is no text",
      { reason: "invalid", event: { id: 7 }, deadAt: AT },
      { eventId: null, event: { id: 7 } },
    ],
    [
      "a message that was not JSON",
      { reason: "invalid", event: "not json", deadAt: AT },
      { eventId: null, event: "not json" },
    ],
    [
      "bytes that were not text",
      { reason: "invalid", event: null, eventBase64: "/w==", deadAt: AT },
      { eventId: null, event: null, eventBase64: "/w==" },
    ],
  ])("keeps %s, naming no integration", (_, fields, kept) => {
    expect(unroutedDeadLetter(fields)).toEqual({
      v: 1,
      integration: null,
      webhookId: null,
      reason: fields.reason,
      attempts: [],
      lastStatus: null,
      lastError: null,
      lastResponseBody: null,
      firstAttemptAt: null,
      lastAttemptAt: null,
      deadAt: AT,
      ...kept,
    });
  });
});

describe("a replayed delivery sent back unsent", () => {
  const record = (fields: Partial<DeliveryRecord>): DeliveryRecord => ({
    v: 1,
    webhookId: "msg_1",
    integration: "crm",
    event: { id: "e1" },
    attempts: [],
    ...fields,
  });
  const attempts = [
    { at: "2026-11-28T17:00:00.000Z", status: 503 },
    { at: "2026-11-28T17:00:01.000Z", status: 503 },
    { at: "2026-11-28T17:00:05.000Z", error: "timeout" },
  ];

  it.each<[string, Partial<DeliveryRecord>, Record<string, unknown>]>([
    ["never attempted", {}, { firstAttemptAt: null, lastAttemptAt: null }],
    [
      "attempted three times, replayed twice",
      { attempts, replays: 2 },
      { firstAttemptAt: attempts[0]!.at, lastAttemptAt: attempts[2]!.at, replays: 2 },
    ],
  ])("keeps its integration, webhook id and history when %s", (_, fields, kept) => {
    const letter = unsentDeadLetter(record(fields), "integration crm is disabled", AT);
    expect(letter).toMatchObject({
      deadAt: AT,
      integration: "crm",
      webhookId: "msg_1",
      eventId: "e1",
      reason: "integration crm is disabled",
      attempts: fields.attempts ?? [],
      ...kept,
    });
    if (!fields.replays) expect(letter).not.toHaveProperty("replays");
  });

  const own = { at: "2026-11-28T19:00:00.000Z", status: 500 };
  const evidence = {
    attempts,
    lastStatus: null,
    lastError: "timeout",
    lastResponseBody: null,
    request: { method: "POST" as const, url: "https://crm.example/hook", headers: {}, body: "{}" },
  };
  it.each<[string, Partial<DeliveryRecord>, Record<string, unknown>]>([
    [
      "a replay not sent: what its dead letter said",
      { replays: 1, replayOf: evidence },
      { ...evidence, firstAttemptAt: attempts[0]!.at, lastAttemptAt: attempts[2]!.at },
    ],
    [
      "a replay attempted since: its own attempts after its dead letter's",
      { replays: 1, replayOf: evidence, attempts: [own] },
      {
        attempts: [...attempts, own],
        lastError: null,
        firstAttemptAt: attempts[0]!.at,
        lastAttemptAt: own.at,
      },
    ],
    [
      "a replay's retry, which carries the earlier attempts itself",
      { replays: 2, earlierAttempts: attempts, attempts: [own] },
      { attempts: [...attempts, own], firstAttemptAt: attempts[0]!.at, lastAttemptAt: own.at },
    ],
  ])("keeps, for %s", (_, fields, kept) => {
    const letter = unsentDeadLetter(record(fields), "integration crm is disabled", AT);
    expect(letter).toMatchObject(kept);
    if (!("request" in kept)) expect(letter).not.toHaveProperty("request");
  });
});

describe("the attempts a replay carries from the runs before it", () => {
  const base: DeliveryRecord = {
    v: 1,
    webhookId: "msg_1",
    integration: "crm",
    event: {},
    attempts: [],
  };
  const attempt = (i: number) => ({
    at: new Date(Date.UTC(2026, 10, 28, 0, 0, i)).toISOString(),
    status: 503,
  });
  const many = Array.from({ length: EARLIER_ATTEMPTS_KEPT + 3 }, (_, i) => attempt(i));
  const evidence = { lastStatus: 503, lastError: null, lastResponseBody: null };
  it.each<[string, Partial<DeliveryRecord>, unknown[]]>([
    ["a first run: none", {}, []],
    [
      "a replay not attempted yet: its dead letter's",
      { replayOf: { ...evidence, attempts: [attempt(1)] } },
      [attempt(1)],
    ],
    [
      "a replay's retry: those it carries, not its dead letter's again",
      { replayOf: { ...evidence, attempts: [attempt(1)] }, earlierAttempts: [attempt(2)] },
      [attempt(2)],
    ],
    ["too many: the latest", { earlierAttempts: many }, many.slice(3)],
    ["a record that is not a list: none", { earlierAttempts: "x" as never }, []],
  ])("are, for %s", (_, fields, expected) => {
    expect(earlierAttemptsOf({ ...base, ...fields })).toEqual(expected);
  });
});

describe("isDeadLetterRecord", () => {
  const valid = unroutedDeadLetter({ reason: "r", event: { id: "e" }, deadAt: AT });
  it.each<[string, unknown, boolean]>([
    ["a whole event's record", valid, true],
    [
      "a delivery's record",
      { ...valid, integration: "crm", webhookId: "msg_1", lastStatus: 500 },
      true,
    ],
    ["another version", { ...valid, v: 2 }, false],
    ["a status that is text", { ...valid, lastStatus: "500" }, false],
    ["an event id that is a number", { ...valid, eventId: 5 }, false],
    ["a cut that is text", { ...valid, cut: "event" }, false],
    ["no deadAt", { ...valid, deadAt: undefined }, false],
    ["null", null, false],
    ["a list", [valid], false],
  ])("takes %s: %s", (_what, value, expected) => {
    expect(isDeadLetterRecord(value)).toBe(expected);
  });
});
