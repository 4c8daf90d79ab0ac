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
  waitingFilter,
} from "../../src/nats/layout.js";

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
