import { describe, expect, it } from "vitest";
import {
  deliveryFilter,
  deliverySubject,
  integrationOfDeliverySubject,
} from "../../src/delivery/records.js";

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
});
