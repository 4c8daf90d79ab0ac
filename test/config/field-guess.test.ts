import { describe, expect, it } from "vitest";
import { guessField, mayRepeat } from "../../src/config/field-guess.js";

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

describe("mayRepeat: whether a message may name what was written in braces", () => {
  it.each<[string, boolean]>([
    ["extensionNumbr", true], // a field's name mistyped
    ["user.extension", true], // a path into the event that stands for a field
    ["bogus", true], // a short word
    ["ext_no", true],
    ["customer", false], // a longer word of no field's: it may be part of a secret
    ["Zq7Pa55", false],
    ["SECRETword", false],
    ["a55SEC", false],
  ])("%j: %s", (name, may) => {
    expect(mayRepeat(name)).toBe(may);
  });
});
