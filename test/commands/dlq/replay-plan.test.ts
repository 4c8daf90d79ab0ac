import { describe, expect, it } from "vitest";
import { planReplay } from "../../../src/commands/dlq/replay-plan.js";
import { parseDeadLetterRecord } from "../../../src/delivery/dead-letter-list.js";
import {
  type DeliveryRecord,
  type ListedDeadLetter,
  unroutedDeadLetter,
} from "../../../src/delivery/records.js";
import { deliverySubject } from "../../../src/nats/layout.js";
import { eventSubject } from "../../../src/events/sample.js";
import { makeEvent } from "../../support/daemon.js";

const event = makeEvent({ account: "acme" });
const DEAD_AT = "2026-11-28T17:00:02.100Z";

/** A dead letter of integration crm's delivery, stored as record 7. */
function deliveryLetter(overrides: Partial<ListedDeadLetter> = {}): ListedDeadLetter {
  return {
    id: 7,
    v: 1,
    integration: "crm",
    webhookId: "msg_7",
    eventId: event.id,
    reason: "HTTP 410 Gone is not retried",
    event,
    attempts: [{ at: "2026-11-28T17:00:02.000Z", status: 410 }],
    lastStatus: 410,
    lastError: null,
    lastResponseBody: "gone",
    firstAttemptAt: "2026-11-28T17:00:02.000Z",
    lastAttemptAt: "2026-11-28T17:00:02.000Z",
    deadAt: DEAD_AT,
    ...overrides,
  };
}

/** A dead letter of a whole message, as record 8. */
function unroutedLetter(fields: { reason: string; event: unknown; subject?: string }) {
  return { id: 8, ...unroutedDeadLetter({ ...fields, deadAt: DEAD_AT }) };
}

describe("planning a replay", () => {
  it("hands a delivery back to --consumer's daemons with its webhook-id and fresh attempts", () => {
    const plan = planReplay(deliveryLetter({ replays: 2 }), "blue");
    expect(plan).toMatchObject({
      ok: true,
      subject: deliverySubject("blue", "crm"),
      msgID: "replay:msg_7:7",
      done: "dead letter 7 replayed to crm",
      planned: "dead letter 7 would be replayed to crm",
    });
    const delivery = JSON.parse(plan.ok ? plan.payload : "null") as DeliveryRecord;
    expect(delivery).toMatchObject({ webhookId: "msg_7", attempts: [], replays: 3, event });
    expect(delivery.replayOf?.lastStatus).toBe(410);
  });

  it("publishes a whole event again to its own subject", () => {
    const subject = eventSubject(event);
    const plan = planReplay(
      unroutedLetter({ reason: "gave up after 20 deliveries", event, subject }),
      "blue",
    );
    expect(plan).toMatchObject({
      ok: true,
      subject,
      payload: JSON.stringify(event),
      planned: `dead letter 8: event ${event.id} would be published again to ${subject}, for every integration it matches`,
    });
  });

  it.each([
    [
      "a delivery that kept only the start of its event",
      deliveryLetter({ event: '{"id":"e', cut: ["event"] }),
      "dead letter 7 kept only the start of its event",
    ],
    [
      "a message that was not JSON",
      unroutedLetter({ reason: "invalid event: not valid JSON", event: "{oops", subject: "pbx.x" }),
      "dead letter 8 is a message that was not a valid event",
    ],
    [
      "a record hookswitch cannot read, kept under an integration's subject",
      {
        id: 9,
        ...parseDeadLetterRecord('{"v":1,"integration":"crm"}', "hookswitch.dlq.hookswitch.crm"),
      },
      "dead letter 9 is a record hookswitch cannot read",
    ],
    [
      "a valid event of unknown subject",
      unroutedLetter({ reason: "gave up after 20 deliveries", event }),
      "dead letter 8 is a message that was not a valid event",
    ],
    [
      "an event refused for naming another account in its subject",
      unroutedLetter({
        reason: "invalid event: its subject names account other",
        event,
        subject: eventSubject({ ...event, data: { ...event.data, account: "other" } }),
      }),
      "the publisher must send it on its own subject",
    ],
  ])("refuses %s, saying why and how to remove it", (_what, letter, why) => {
    const plan = planReplay(letter, "blue");
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.why).toContain(why);
    expect(plan.why).toContain(`\`dlq purge ${letter.id}\` removes it`);
  });

  it("carries the dead letter as it stood: its attempts, last answer and request", () => {
    const request = {
      method: "POST" as const,
      url: "http://127.0.0.1:9/crm",
      headers: { "content-type": "application/json" },
      body: "{}",
    };
    const letter = deliveryLetter({ lastError: "socket hang up", request });
    const plan = planReplay(letter, "blue");
    const delivery = JSON.parse(plan.ok ? plan.payload : "null") as DeliveryRecord;
    expect(delivery.replayOf).toEqual({
      attempts: letter.attempts,
      lastStatus: 410,
      lastError: "socket hang up",
      lastResponseBody: "gone",
      request,
    });
    // Its first replay; and no request key when there was none.
    expect(delivery.replays).toBe(1);
    const bare = planReplay(deliveryLetter(), "blue");
    const without = JSON.parse(bare.ok ? bare.payload : "null") as DeliveryRecord;
    expect(Object.keys(without.replayOf ?? {})).not.toContain("request");
  });

  it.each([
    ["the same dead letter again", { id: 7 }, { id: 7 }, true],
    ["two dead letters of one delivery", { id: 7 }, { id: 9 }, false],
    ["two dead letters of one event", { id: 8 }, { id: 9 }, false],
  ])("publishes %s under one message id: %s", (what, a, b, same) => {
    const letter = (id: number) =>
      what.includes("event")
        ? {
            ...unroutedLetter({
              reason: "gave up after 20 deliveries",
              event,
              subject: eventSubject(event),
            }),
            id,
          }
        : deliveryLetter({ id });
    const [first, second] = [planReplay(letter(a.id), "blue"), planReplay(letter(b.id), "blue")];
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(first.msgID === second.msgID).toBe(same);
  });

  it("publishes again an event on a subject not its own that died for another reason", () => {
    // Accepted when it came (no --require-subject-match): it would be again.
    const subject = eventSubject({ ...event, data: { ...event.data, account: "other" } });
    const plan = planReplay(
      unroutedLetter({ reason: "gave up after 20 deliveries", event, subject }),
      "blue",
    );
    expect(plan).toMatchObject({ ok: true, subject });
  });

  it("publishes again an event refused as invalid that is valid now, on its own subject", () => {
    // Refused by a daemon whose rules were stricter: valid now, it is delivered.
    const subject = eventSubject(event);
    const plan = planReplay(
      unroutedLetter({ reason: "invalid event: data.extension is too long", event, subject }),
      "blue",
    );
    expect(plan).toMatchObject({ ok: true, subject });
  });

  it("refuses a whole event that kept only its start", () => {
    const letter = {
      ...unroutedLetter({
        reason: "gave up after 20 deliveries",
        event: '{"id":"e',
        subject: "pbx.x",
      }),
      cut: ["event" as const],
    };
    expect(planReplay(letter, "blue")).toMatchObject({ ok: false });
  });

  it("says an event id and subject from outside without their control characters", () => {
    const odd = { ...event, id: "evt\u001b[2J" };
    const subject = `${eventSubject(odd)}\u0007`;
    const plan = planReplay(
      unroutedLetter({ reason: "gave up after 20 deliveries", event: odd, subject }),
      "blue",
    );
    expect(plan.ok && plan.done).toBe(
      `dead letter 8: event evt\ufffd[2J published again to ${eventSubject(odd)}\ufffd, for every integration it matches`,
    );
  });
});
