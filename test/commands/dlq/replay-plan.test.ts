import { describe, expect, it } from "vitest";
import { planReplay } from "../../../src/commands/dlq/replay-plan.js";
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
});
