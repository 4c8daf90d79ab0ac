import { describe, expect, it } from "vitest";
import { webhookId } from "../../src/delivery/webhook-id.js";

describe("webhookId", () => {
  it("is the same for every attempt of one event to one integration", () => {
    expect(webhookId("crm", "event-1")).toBe(webhookId("crm", "event-1"));
  });

  it("never changes between versions: receivers deduplicate across an upgrade", () => {
    // sha256("crm\nevent-1"), as every earlier version computed it.
    expect(webhookId("crm", "event-1")).toBe("msg_1566917d1e3d61d68efef8a2a013889b");
    // sha256 of "crm\n" in UTF-8, the byte 0xff, then "event-\ud800" in UTF-16LE.
    expect(webhookId("crm", "event-\ud800")).toBe("msg_9077dc54a256527e62933ec079570898");
  });

  it("has the msg_ prefix and 32 hex digits", () => {
    expect(webhookId("crm", "event-1")).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  it.each([
    ["another integration", "billing", "event-1"],
    ["another event", "crm", "event-2"],
    ["a name and id that would concatenate alike", "crme", "vent-1"],
  ])("differs for %s", (_what, name, eventId) => {
    expect(webhookId(name, eventId)).not.toBe(webhookId("crm", "event-1"));
  });

  it.each([
    ["two lone surrogates", "event-\ud800", "event-\udc00"],
    ["a lone surrogate and the replacement character", "event-\ud800", "event-\ufffd"],
    ["a lone surrogate and none", "event-1\udfff", "event-1"],
    // "\ud841\u41a8" in UTF-16LE is 41 d8 a8 41, the UTF-8 bytes of "A\u0628A".
    [
      "their encoding, one ill-formed and one whose UTF-8 is its UTF-16",
      "\ud841\u41a8",
      "A\u0628A",
    ],
  ])("differs for ids that differ only in %s", (_what, one, other) => {
    expect(webhookId("crm", one)).not.toBe(webhookId("crm", other));
    expect(webhookId("crm", one)).toMatch(/^msg_[0-9a-f]{32}$/);
  });
});
