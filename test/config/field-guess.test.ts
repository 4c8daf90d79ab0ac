import { describe, expect, it } from "vitest";
import { guessField } from "../../src/config/field-guess.js";

describe("guessField: the field a mistyped name most likely means", () => {
  it.each<[string, string | undefined]>([
    // The event's own keys and paths, as copied from its JSON.
    ["outboundNumber", "outboundPhoneNumber"],
    ["extension", "extensionNumber"],
    ["user.extension", "extensionNumber"],
    ["data.user.extension", "extensionNumber"],
    ["Data.User.OutboundNumber", "outboundPhoneNumber"],
    ["uuid", "serviceUuid"],
    ["service.uuid", "serviceUuid"],
    ["service.name", "serviceName"],
    ["user.name", "name"],
    ["friendlyName", "serviceFriendlyName"],
    ["type", "event"],
    ["id", "eventId"],
    ["time", "eventTime"],
    // Letters off a field's own name.
    ["nmae", "name"],
    ["Name", "name"],
    ["extensionNumbr", "extensionNumber"],
    // Nothing near, or more than one as near.
    ["servic", undefined],
    ["first name", undefined],
    ["colour", undefined],
  ])("%j → %j", (written, field) => {
    expect(guessField(written)).toBe(field);
  });
});
