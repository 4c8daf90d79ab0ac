import { describe, expect, it } from "vitest";
import {
  deadLetterFilter,
  deadLetterOwner,
  deadLetterSubject,
  integrationOfDeadLetterSubject,
  OLD_DEAD_LETTER_FILTER,
  oldDeadLetterSubject,
  deliveryFilter,
  deliverySubject,
  integrationOfDeliverySubject,
  parkedSubject,
  unroutedDeadLetter,
  unsentDeadLetter,
  waitingFilter,
  type DeliveryRecord,
} from "../../src/delivery/records.js";

describe("dead-letter subjects", () => {
  it.each([
    ["hookswitch.dlq.gitsync.crm", "gitsync", "crm"],
    ["hookswitch.dlq.gitsync._invalid", "gitsync", null],
    ["hookswitch.dlq.crm", null, "crm"],
    ["hookswitch.dlq._invalid", null, null],
    ["hookswitch.dlq.hookswitch.hookswitch", "hookswitch", "hookswitch"],
  ])("say %s is deployment %s's, of integration %s", (subject, owner, integration) => {
    expect(deadLetterOwner(subject)).toBe(owner);
    expect(integrationOfDeadLetterSubject(subject)).toBe(integration);
  });
});

describe("delivery subjects", () => {
  it.each([
    ["hookswitch", "crm"],
    ["eu-west-dispatch", "billing-feed-2"],
    ["a", "0"],
  ])(
    "name the integration of deployment %s's record for %s in their last token",
    (consumer, name) => {
      const subject = deliverySubject(consumer, name);
      expect(integrationOfDeliverySubject(subject)).toBe(name);
      expect(subject.startsWith(deliveryFilter(consumer).slice(0, -1))).toBe(true);
    },
  );

  // Records already stored are read under these names: they are the streams' contract.
  it.each([
    [deliverySubject("hs", "crm"), "hookswitch.deliveries.hs.crm"],
    [deliveryFilter("hs"), "hookswitch.deliveries.hs.>"],
    [parkedSubject("hs", "crm"), "hookswitch.parked.hs.crm"],
    [waitingFilter("hs"), "hookswitch.*.hs.*"],
    [deadLetterSubject("hs", "crm"), "hookswitch.dlq.hs.crm"],
    [deadLetterSubject("hs", null), "hookswitch.dlq.hs._invalid"],
    [deadLetterFilter("hs"), "hookswitch.dlq.hs.*"],
    [oldDeadLetterSubject("crm"), "hookswitch.dlq.crm"],
    [oldDeadLetterSubject(null), "hookswitch.dlq._invalid"],
    [OLD_DEAD_LETTER_FILTER, "hookswitch.dlq.*"],
  ])("are %s as %s", (subject, expected) => {
    expect(subject).toBe(expected);
  });
});

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
      "a replay attempted since: its own attempts",
      { replays: 1, replayOf: evidence, attempts: attempts.slice(0, 1) },
      { attempts: attempts.slice(0, 1), lastError: null, lastAttemptAt: attempts[0]!.at },
    ],
  ])("keeps, for %s", (_, fields, kept) => {
    const letter = unsentDeadLetter(record(fields), "integration crm is disabled", AT);
    expect(letter).toMatchObject(kept);
    if (!("request" in kept)) expect(letter).not.toHaveProperty("request");
  });
});
