/**
 * The event schema's `date-time` check accepts exactly what ajv-formats' full `date-time`
 * format accepts, which it replaces on the hot path.
 */
import { fullFormats } from "ajv-formats/dist/formats.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDateTime } from "../../src/events/date-time.js";
import { parseEvent } from "../../src/events/parse.js";
import { makeEvent } from "../support/integration.js";

const ajvDateTime = (fullFormats["date-time"] as { validate: (text: string) => boolean }).validate;

describe("isDateTime", () => {
  it.each([
    ["2026-11-28T17:00:00Z", true, "UTC"],
    ["2026-11-28T17:00:00.000Z", true, "with milliseconds"],
    ["2026-11-28t17:00:00.123456789z", true, "in lower case, with nanoseconds"],
    ["2026-11-28 17:00:00+01:00", true, "a space between date and time, and an offset"],
    ["2026-11-28T17:00:00-0530", true, "an offset without a colon"],
    ["2026-11-28T17:00:00+05", true, "an offset in hours"],
    ["2024-02-29T00:00:00Z", true, "the 29th of February in a leap year"],
    ["2000-02-29T00:00:00Z", true, "in a year divisible by 400"],
    ["0000-02-29T00:00:00Z", true, "in year 0000, which RFC 3339 allows"],
    ["2016-12-31T23:59:60Z", true, "a leap second"],
    ["2016-12-31T23:59:60.5Z", true, "within a leap second"],
    ["2017-01-01T00:59:60+01:00", true, "a leap second written in another zone"],
    ["2016-12-31T18:59:60-05:00", true, "a leap second written west of UTC"],
    ["2017-01-01T00:29:60+00:30", true, "a leap second written half an hour east of UTC"],
    ["2026-11-28T12:00:59.99999999999999999Z", false, "a fraction that rounds to second 60"],
    ["2016-12-31T23:59:60.99999999999999999Z", false, "a leap second that rounds to 61"],
    ["2026-11-28T17:00:00", false, "no time zone"],
    ["2026-11-28", false, "a date alone"],
    ["2026-11-28T17:00Z", false, "no seconds"],
    ["2026-11-28T17:00:00.Z", false, "a dot without a fraction"],
    ["2026-11-28T24:00:00Z", false, "hour 24"],
    ["2026-11-28T17:60:00Z", false, "minute 60"],
    ["2026-11-28T17:00:60Z", false, "a leap second that is not 23:59:60 UTC"],
    ["2026-11-28T17:00:00+24:00", false, "an offset of 24 hours"],
    ["2026-11-28T17:00:00+01:60", false, "an offset of 60 minutes"],
    ["2026-11-28T17:00:00+01:", false, "an offset cut short"],
    ["2026-11-28T17:00:00+01-30", false, "an offset with a dash for a colon"],
    ["2026-11-28T17:00:00+01030", false, "an offset with a digit for a colon"],
    ["2023-02-29T00:00:00Z", false, "the 29th of February in a common year"],
    ["1900-02-29T00:00:00Z", false, "in a century not divisible by 400"],
    ["2026-04-31T00:00:00Z", false, "the 31st of April"],
    ["2026-13-01T00:00:00Z", false, "month 13"],
    ["2026-00-01T00:00:00Z", false, "month 0"],
    ["2026-11-00T00:00:00Z", false, "day 0"],
    ["2026-11-28T17:00:00Z ", false, "a space after it"],
    ["2026-11-28TT17:00:00Z", false, "two separators"],
    ["２０２６-11-28T17:00:00Z", false, "digits that are not ASCII"],
    ["", false, "nothing"],
    ["2026-11-28T17:00:00+23:59", true, "the largest offset"],
    ["2026-11-28T23:30:00Z", true, "hour 23"],
    ["2026x11-28T17:00:00Z", false, "another character for the first dash"],
    ["2026-11x28T17:00:00Z", false, "another character for the second dash"],
    ["2026-11-28T17:x0:00Z", false, "a minute that is not digits"],
    ["2026-11-28T17:00:00+01:300", false, "an offset with three digits of minutes"],
    ["2026-11-28T17x00:00Z", false, "another character for the first colon"],
    ["2026-11-28T17:00x00Z", false, "another character for the second colon"],
    ["2026-11-28Tx7:00:00Z", false, "an hour that is not digits"],
    ["2026-11-28T17:00:x0Z", false, "a second that is not digits"],
    ["2026-11-28T17:00:00123", false, "digits for a time zone"],
  ])("%s is %s: %s", (text, expected) => {
    expect(isDateTime(text)).toBe(expected);
    expect(ajvDateTime(text)).toBe(expected);
  });

  it("takes between date and time whatever character ajv-formats splits on", () => {
    const differ: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const text = `2026-11-28${String.fromCharCode(code)}17:00:00Z`;
      if (isDateTime(text) !== ajvDateTime(text)) differ.push(code.toString(16));
    }
    expect(differ).toEqual([]);
  });

  it("agrees with ajv-formats on generated date-times, right and wrong", () => {
    // Any two digits, and often those where calendars and leap seconds change their minds.
    const twoDigits = fc.oneof(
      fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, "0")),
      fc.constantFrom("00", "01", "12", "23", "24", "28", "29", "30", "31", "59", "60", "61"),
    );
    const fraction = fc.oneof(
      fc.constant(""),
      fc.stringMatching(/^\.[0-9]{0,4}$/),
      fc.stringMatching(/^\.9{14,20}$/),
    );
    const zone = fc.oneof(
      fc.constantFrom("Z", "z", "", "+", "Zz"),
      fc
        .tuple(fc.constantFrom("+", "-"), twoDigits, fc.constantFrom("", ":", ":0", "0"))
        .map(([sign, hours, glue]) => `${sign}${hours}${glue}`),
      fc
        .tuple(fc.constantFrom("+", "-"), twoDigits, fc.constantFrom("", ":"), twoDigits)
        .map(([sign, hours, colon, minutes]) => `${sign}${hours}${colon}${minutes}`),
    );
    const dateTime = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, "0")),
        twoDigits,
        twoDigits,
        fc.constantFrom("T", "t", " ", "\u2028", "_", ""),
        twoDigits,
        twoDigits,
        twoDigits,
        fraction,
        zone,
      )
      .map(
        ([y, mo, d, sep, h, mi, s, frac, z]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${frac}${z}`,
      );
    // Also the same texts with one character changed or cut off, and any text at all.
    const mutated = fc
      .tuple(dateTime, fc.nat(), fc.string({ maxLength: 1 }))
      .map(
        ([text, at, char]) =>
          text.slice(0, at % (text.length + 1)) + char + text.slice((at % (text.length + 1)) + 1),
      );

    fc.assert(
      fc.property(fc.oneof(dateTime, mutated, fc.string()), (text) => {
        expect(isDateTime(text)).toBe(ajvDateTime(text));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("an event's time", () => {
  it("is refused with the same sentence as before when it is not a date-time", () => {
    const event = makeEvent({ time: "2026-02-30T10:00:00Z" });
    const parsed = parseEvent(JSON.stringify(event));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.reason).toBe(
      "time must be an ISO 8601 date-time (e.g. 2026-11-28T17:00:00.000Z)",
    );
  });

  it("is accepted in any form RFC 3339 allows", () => {
    const event = makeEvent({ time: "2026-11-28 18:00:00.5+01:00" });
    expect(parseEvent(JSON.stringify(event)).ok).toBe(true);
  });
});
