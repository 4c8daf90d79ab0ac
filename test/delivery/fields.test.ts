import { describe, expect, it } from "vitest";
import { FIELD_NAMES, OPTIONAL_FIELDS, type FieldName } from "../../src/config/types.js";
import { compileTemplate, jsonFieldValue, textFieldValue } from "../../src/delivery/fields.js";
import { RequestTooLargeError } from "../../src/delivery/request-size.js";
import { checkEvent } from "../../src/events/parse.js";
import { makeEvent, SERVICE_UUID } from "../support/integration.js";

const now = new Date("2026-11-28T17:00:05.123Z");
const full = makeEvent();
const bare = makeEvent({
  user: {},
  data: { service: { type: "mycloudpbx", uuid: SERVICE_UUID } },
});
const untimed = structuredClone(full);
delete untimed.time;
/** The same values lacking, written as null: the event means the same. */
const nulls = makeEvent({
  time: null,
  user: {
    extension: null,
    name: null,
    outboundNumber: null,
    hasVoicemail: null,
    enabledCalls: null,
  },
  data: { service: { type: "mycloudpbx", uuid: SERVICE_UUID, name: null, friendlyName: null } },
});

describe("field values", () => {
  it.each<[FieldName, string | boolean, string]>([
    ["extensionNumber", "201", "201"],
    ["name", "Alice Example", "Alice Example"],
    ["outboundPhoneNumber", "+61290000000", "+61290000000"],
    ["hasVoicemail", true, "true"],
    ["enabledCalls", "Local,National,Mobile", "Local,National,Mobile"],
    ["dateTime", "2026-11-28T17:00:05.123Z", "2026-11-28T17:00:05.123Z"],
    ["serviceUuid", SERVICE_UUID, SERVICE_UUID],
    ["serviceName", "pbx-01", "pbx-01"],
    ["serviceFriendlyName", "Head office", "Head office"],
    ["serviceType", "mycloudpbx", "mycloudpbx"],
    ["account", "acme", "acme"],
    ["event", "user.created", "user.created"],
    ["eventId", "9b2f4c1e-5a77-4e0f-8d1b-2f8f2a0c6d10", "9b2f4c1e-5a77-4e0f-8d1b-2f8f2a0c6d10"],
    ["eventTime", "2026-11-28T17:00:00.000Z", "2026-11-28T17:00:00.000Z"],
  ])("%s is %j in JSON and %j as text", (field, json, text) => {
    expect(jsonFieldValue(field, full, now)).toEqual(json);
    expect(textFieldValue(field, full, now)).toBe(text);
  });

  it("covers every field of the table", () => {
    for (const field of FIELD_NAMES) expect(jsonFieldValue(field, full, now)).not.toBeNull();
  });

  it.each<FieldName>([
    "extensionNumber",
    "name",
    "outboundPhoneNumber",
    "hasVoicemail",
    "enabledCalls",
    "serviceName",
    "serviceFriendlyName",
    "eventTime",
  ])("%s the event lacks, left out or null, is null in JSON and absent as text", (field) => {
    const lacking = field === "eventTime" ? untimed : bare;
    for (const event of [lacking, nulls]) {
      expect(jsonFieldValue(field, event, now)).toBeNull();
      expect(textFieldValue(field, event, now)).toBeUndefined();
    }
  });

  it("sends hasVoicemail false as false, not as missing", () => {
    const event = makeEvent({ user: { hasVoicemail: false } });
    expect(jsonFieldValue("hasVoicemail", event, now)).toBe(false);
    expect(textFieldValue("hasVoicemail", event, now)).toBe("false");
  });

  it("sends no call types as an empty string, not as missing", () => {
    const event = makeEvent({ user: { enabledCalls: [] } });
    expect(jsonFieldValue("enabledCalls", event, now)).toBe("");
  });

  it("takes dateTime from the attempt time, not from the event", () => {
    const later = new Date("2027-01-01T00:00:00Z");
    expect(textFieldValue("dateTime", full, later)).toBe("2027-01-01T00:00:00.000Z");
  });
});

describe("templates", () => {
  const bound = { what: "webhook.fields.note", max: 1000 };

  it.each<[string, string]>([
    ["{name} ({extensionNumber})", "Alice Example (201)"],
    ["no placeholders", "no placeholders"],
    ["{hasVoicemail}/{enabledCalls}", "true/Local,National,Mobile"],
    ["{unknown} and {name}", "{unknown} and Alice Example"],
    ["{{name}}", "{Alice Example}"],
    ["", ""],
  ])("%j renders as %j", (template, expected) => {
    expect(compileTemplate(template, [], bound)(full, now)).toBe(expected);
  });

  // "ab{name}cd{extensionNumber}": {name} spans [2, 8), {extensionNumber} spans [10, 27).
  it.each<[string, [number, number][], string]>([
    ["no literal stretch", [], "abAlice Examplecd201"],
    ["a literal stretch that ends where {name} starts", [[0, 2]], "abAlice Examplecd201"],
    ["a literal stretch between the two placeholders", [[8, 10]], "abAlice Examplecd201"],
    ["a literal stretch after both", [[27, 30]], "abAlice Examplecd201"],
    ["{name} as a literal stretch", [[2, 8]], "ab{name}cd201"],
    ["a literal stretch over one brace of each", [[7, 11]], "ab{name}cd{extensionNumber}"],
    [
      "one character of {extensionNumber} literal",
      [[26, 27]],
      "abAlice Examplecd{extensionNumber}",
    ],
  ])("fills a template with %s", (_what, literals, expected) => {
    const template = "ab{name}cd{extensionNumber}";
    expect(compileTemplate(template, literals, bound)(full, now)).toBe(expected);
  });

  it("renders a missing value as nothing, whether left out or null", () => {
    for (const event of [bare, nulls]) {
      expect(compileTemplate("ext-{extensionNumber}-{name}", [], bound)(event, now)).toBe("ext--");
    }
  });

  // 13 characters of "Alice Example" each: 76 × 13 = 988 fits in 1000, 77 × 13 = 1001 does not.
  it.each<[string, number, string | undefined]>([
    ["fills a template up to its bound exactly", 1000, undefined],
    ["refuses a template one character past it", 999, "webhook.fields.note would be larger"],
  ])("%s", (_what, max, refused) => {
    const template = "{name}".repeat(76) + "x".repeat(12);
    const render = compileTemplate(template, [], { what: "webhook.fields.note", max });
    if (refused === undefined) expect(render(full, now)).toHaveLength(1000);
    else expect(() => render(full, now)).toThrow(RequestTooLargeError);
    if (refused !== undefined) expect(() => render(full, now)).toThrow(refused);
  });

  it("stops before a template of 100,000 placeholders builds gigabytes", () => {
    const long = makeEvent({ user: { name: "n".repeat(900_000) } });
    const render = compileTemplate("{name}".repeat(100_000), [], bound);
    expect(() => render(long, now)).toThrow(
      "webhook.fields.note would be larger than 1000 characters for this event",
    );
  });
});

describe("the fields an event may lack", () => {
  /** Only what the event schema requires. */
  const leanest = {
    specversion: "1.0",
    id: "e-1",
    source: "/accounts/acme",
    type: "user.created",
    data: { account: "acme", service: { type: "mycloudpbx", uuid: SERVICE_UUID }, user: {} },
  };

  it("are the ones OPTIONAL_FIELDS names, as read from an event with only what the schema requires", () => {
    const parsed = checkEvent(leanest);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const lacking = FIELD_NAMES.filter((field) => !textFieldValue(field, parsed.event, now));
    expect(lacking.sort()).toEqual(Object.keys(OPTIONAL_FIELDS).sort());
  });
});
