import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  FULLY_CHECKED_LENGTH,
  MAX_EVENT_BYTES,
  jsonProblem,
  nestingDeeperThan,
  parseEvent,
} from "../../src/events/parse.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), "utf8");
type Json = { [key: string]: unknown };
const DELETE = Symbol("delete");

/**
 * The example event of docs/publishers.md (the fixture user-created.json) with values set (or
 * deleted) at dotted paths, as JSON text.
 */
function edited(...edits: [path: string, value: unknown][]): string {
  const event = JSON.parse(fixture("user-created.json")) as Json;
  for (const [path, value] of edits) {
    const keys = path.split(".");
    const last = keys.pop()!;
    const parent = keys.reduce((object, key) => object[key] as Json, event);
    if (value === DELETE) delete parent[last];
    else parent[last] = value;
  }
  return JSON.stringify(event);
}

function reasonOf(input: string | Uint8Array): string {
  const result = parseEvent(input);
  return result.ok ? "(accepted)" : result.reason;
}

describe("parseEvent", () => {
  it("accepts the example event of docs/publishers.md as text and as bytes", () => {
    const text = fixture("user-created.json");
    for (const input of [text, new TextEncoder().encode(text)]) {
      const result = parseEvent(input);
      expect(result.ok).toBe(true);
      if (result.ok) {
        expect(result.event.data.user.enabledCalls).toEqual(["Local", "National", "Mobile"]);
        expect(result.raw).toBe(result.event);
      }
    }
  });

  it("accepts an event whose user has no fields and whose service has no names", () => {
    expect(parseEvent(fixture("user-deleted-minimal.json")).ok).toBe(true);
  });

  it("accepts an event without a time, as CloudEvents makes it optional", () => {
    expect(reasonOf(edited(["time", DELETE]))).toBe("(accepted)");
  });

  it("accepts null for every optional attribute and property, as if it were left out", () => {
    const optional = [
      "time",
      "datacontenttype",
      "data.service.name",
      "data.service.friendlyName",
      "data.user.extension",
      "data.user.name",
      "data.user.outboundNumber",
      "data.user.hasVoicemail",
      "data.user.enabledCalls",
      "data.previous",
    ];
    expect(reasonOf(edited(...optional.map((path): [string, unknown] => [path, null])))).toBe(
      "(accepted)",
    );
  });

  it("accepts CloudEvents extension attributes and unknown user properties", () => {
    const input = edited(["traceparent", "00-abc"], ["data.user.department", "Sales"]);
    expect(parseEvent(input).ok).toBe(true);
  });

  it("says where JSON breaks off, on one line", () => {
    // Node.js 20 gives the offset, later versions the line and column too.
    expect(reasonOf('{\n  "a": 1,\n}')).toMatch(/^not valid JSON: [^\n]*line 3,? column 1\)$/);
    expect(reasonOf('{\n  "id": x\n}')).toMatch(/^not valid JSON: [^\n]*x/);
  });

  it.each([
    ["", /^not valid JSON: /],
    ["{", /^not valid JSON: /],
    ["null", /^the event must be a JSON object$/],
    ["[]", /^the event must be a JSON object$/],
    ['"text"', /^the event must be a JSON object$/],
  ])("refuses %j with a reason", (input, reason) => {
    expect(reasonOf(input)).toMatch(reason);
  });

  it.each<[string, string, unknown, string]>([
    ["a bad service UUID", "data.service.uuid", "nope", "data.service.uuid must be a UUID"],
    ["a missing id", "id", DELETE, "id is missing"],
    ["an empty id", "id", "", "id must not be empty"],
    ["a numeric id", "id", 7, "id must be a string"],
    ["a null id", "id", null, "id must be a string"],
    ["a null source", "source", null, "source must be a string"],
    ["a null account", "data.account", null, "data.account must be a string"],
    ["a null service UUID", "data.service.uuid", null, "data.service.uuid must be a string"],
    ["a null user", "data.user", null, "data.user must be a JSON object"],
    ["a null call type", "data.user.enabledCalls", ["Local", null], "enabledCalls[1] must be a"],
    ["a numeric time", "time", 1764349200, "time must be a string or null"],
    ["another spec version", "specversion", "0.3", 'specversion must be "1.0"'],
    ["an unknown type", "type", "user.renamed", "type must be one of user.created"],
    ["a bad time", "time", "yesterday", "time must be an ISO 8601 date-time"],
    ["a missing account", "data.account", DELETE, "data.account is missing"],
    ["a missing service type", "data.service.type", DELETE, "data.service.type is missing"],
    ["a missing user", "data.user", DELETE, "data.user is missing"],
    [
      "hasVoicemail as text",
      "data.user.hasVoicemail",
      "yes",
      "data.user.hasVoicemail must be a boolean or null",
    ],
    [
      "a numeric call type",
      "data.user.enabledCalls",
      ["Local", 3],
      "data.user.enabledCalls[1] must be a string",
    ],
    ["data as an array", "data", [], "data must be a JSON object"],
  ])("refuses %s", (_what, path, value, reason) => {
    const result = parseEvent(edited([path, value]));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain(reason);
      expect(result.raw).toBeTypeOf("object");
    }
  });

  it("names several problems at once", () => {
    const reason = reasonOf(edited(["id", ""], ["data.service.uuid", "x"]));
    expect(reason).toContain("id must not be empty");
    expect(reason).toContain("data.service.uuid must be a UUID");
  });

  it("names only the first problem of an event longer than 16 KiB, and says so", () => {
    // 20,000 numbers as call types: 20,000 errors, which are not looked for.
    const calls = Array.from({ length: 20_000 }, () => 0);
    const text = edited(["data.user.enabledCalls", calls]);
    expect(text.length).toBeGreaterThan(FULLY_CHECKED_LENGTH);
    expect(reasonOf(text)).toBe(
      "data.user.enabledCalls[0] must be a string (the first problem found: an event longer " +
        "than 16 KiB is not searched for more)",
    );
    // Shorter, every one is looked for.
    expect(reasonOf(edited(["data.user.enabledCalls", calls.slice(0, 7)]))).toMatch(
      /^data\.user\.enabledCalls\[0\] must be a string; .*; and 2 more$/,
    );
  });

  /** A valid event of exactly `length` characters (all ASCII, so as many bytes), padded. */
  const padded = (length: number, ...edits: [path: string, value: unknown][]) => {
    const text = edited(...edits, ["data.pad", ""]);
    return edited(...edits, ["data.pad", "x".repeat(length - text.length)]);
  };

  it.each([
    ["983,040 bytes (960 KiB)", 983_040, "(accepted)"],
    ["983,041 bytes", 983_041, "event too large: 983041 bytes, the limit is 983040 bytes"],
  ])("takes an event of %s as text and as bytes: %s", (_what, length, reason) => {
    const text = padded(length);
    expect(Buffer.byteLength(text)).toBe(length);
    expect([reasonOf(text), reasonOf(Buffer.from(text))]).toEqual([reason, reason]);
  });

  it.each([
    [
      "16,384 characters, every problem",
      16_384,
      /^id must not be empty; data\.service\.uuid must be a UUID$/,
    ],
    ["16,385 characters, the first", 16_385, /^id must not be empty \(the first problem found: /],
  ])("names for an invalid event of %s", (_what, length, reason) => {
    const text = padded(length, ["id", ""], ["data.service.uuid", "x"]);
    expect(text).toHaveLength(length);
    expect(reasonOf(text)).toMatch(reason);
  });

  it("keeps the first kilobyte of an oversized event's text, as text and as bytes", () => {
    const big = `{"pad":"${"x".repeat(MAX_EVENT_BYTES)}"}`;
    for (const input of [big, Buffer.from(big)]) {
      expect(parseEvent(input).raw).toBe(big.slice(0, 1024));
    }
  });

  it("refuses an oversized event before parsing it, as text and as bytes", () => {
    const big = `{"pad":"${"x".repeat(MAX_EVENT_BYTES)}"}`;
    for (const input of [big, Buffer.from(big)]) {
      const result = parseEvent(input);
      expect(result.ok ? "" : result.reason).toMatch(/^event too large/);
      expect(String(result.raw).length).toBeLessThanOrEqual(1024);
    }
  });

  it.each([
    // Each `1e20` (5 bytes with its comma) is stored as 21 digits (22 bytes).
    ["numbers written out in full", `[${Array(180_000).fill("1e20").join(",")}]`, false],
    ["fewer of them, which still fit", `[${Array(40_000).fill("1e20").join(",")}]`, true],
    ["a long text, stored as it came", JSON.stringify("x".repeat(900_000)), true],
  ])("measures a long event again as it would be stored: %s", (_what, pad, accepted) => {
    // Extra fields are allowed; the padding makes the event as long as it needs.
    const text = edited(["data.pad", "PAD"]).replace('"PAD"', pad);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    const stored = Buffer.byteLength(JSON.stringify(JSON.parse(text)));
    expect(stored > MAX_EVENT_BYTES).toBe(!accepted);
    if (accepted) expect(reasonOf(text)).toBe("(accepted)");
    else {
      expect(reasonOf(text)).toMatch(/^event too large: \d+ bytes as stored/);
      expect(parseEvent(text).raw).toBe(text.slice(0, 1024));
    }
  });

  it.each([
    ["exactly the limit", 983_040, "(accepted)"],
    ["one byte past it", 983_041, "event too large: 983041 bytes as stored"],
  ])("takes an event that grows when stored to %s", (_what, stored, reason) => {
    // Each `1e20` grows to 21 digits; a string after them makes the stored size exact.
    const withPad = (pad: string) =>
      edited(["data.pad", "PAD"]).replace(
        '"PAD"',
        `[${Array(40_000).fill("1e20").join(",")},"${pad}"]`,
      );
    const storedOf = (text: string) => Buffer.byteLength(JSON.stringify(JSON.parse(text)));
    const text = withPad("x".repeat(stored - storedOf(withPad(""))));
    expect(storedOf(text)).toBe(stored);
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_EVENT_BYTES);
    expect(reasonOf(text)).toMatch(new RegExp(`^${reason.replace(/[()]/g, "\\$&")}`));
  });

  it.each([
    ["two", "é", MAX_EVENT_BYTES / 2],
    // Fewer characters than half the limit: a count of two bytes each would not look.
    ["three", "€", 330_000],
  ])("counts characters of %s bytes towards the size limit", (_bytes, character, count) => {
    const big = `{"pad":"${character.repeat(count)}"}`; // fewer characters than bytes
    expect(big.length).toBeLessThan(MAX_EVENT_BYTES);
    expect(reasonOf(big)).toBe(
      `event too large: ${Buffer.byteLength(big)} bytes, the limit is 983040 bytes`,
    );
  });

  it("refuses bytes that are not UTF-8", () => {
    expect(reasonOf(new Uint8Array([0x7b, 0xff, 0x7d]))).toMatch(/not UTF-8/);
  });

  it("does not let __proto__ or constructor keys pollute prototypes", () => {
    const input = fixture("user-created.json")
      .replace('"specversion"', '"__proto__": {"polluted": true, "isAdmin": true}, "specversion"')
      .replace(
        '"extension": "201",',
        '"__proto__": {"name": "Mallory"}, "constructor": {"prototype": {"polluted": true}},',
      );
    const result = parseEvent(input);
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    if (result.ok) {
      expect(result.event.data.user.name).toBe("Alice Example");
      expect(Object.getPrototypeOf(result.event)).toBe(Object.prototype);
      expect(result.event.data.user.extension).toBeUndefined();
    }
  });

  it("never throws, whatever the input", async () => {
    const fc = await import("fast-check");
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 200 })), (input) => {
        const result = parseEvent(input);
        expect(typeof result.ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });
});

describe("nestingDeeperThan", () => {
  it.each([
    ["{}", 1, false],
    ["{}", 0, true],
    ['{"a":[1,{"b":2}]}', 3, false],
    ['{"a":[1,{"b":2}]}', 2, true],
    ['"[[[[[[[["', 1, false], // brackets inside a string do not nest
    ['{"a":"\\"[[[["}', 1, false], // nor after an escaped quote
    ["[]".repeat(1000), 1, false], // siblings are not depth
    ["{}".repeat(1000), 1, false], // nor in braces
    ["[".repeat(65) + "]".repeat(65), 64, true],
    ["[".repeat(64) + "]".repeat(64), 64, false],
    ['[{"a":{"b":[1]}}]', 4, false], // as many brackets as the limit: no scan needed
    ['[{"a":{"b":[1]}}]', 3, true], // one more than the limit: the scan decides
    ['{"s":"{{{{"}', 2, false], // many brackets, but in a string
  ])("%s with a limit of %i is %s", (text, limit, deeper) => {
    expect(nestingDeeperThan(text, limit)).toBe(deeper);
  });

  it("makes parseEvent refuse an event 100,000 levels deep, keeping its start", () => {
    const deep = `{"specversion":"1.0","extra":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const result = parseEvent(deep);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/nested deeper than 64 levels/);
      expect(result.raw).toBe(deep.slice(0, 1024));
    }
  });
});

describe("jsonProblem", () => {
  it.each<[string, unknown, string, string]>([
    [
      "an offset, with its line and column",
      new SyntaxError("Expected double-quoted property name in JSON at position 12"),
      '{\n  "a": 1,\n}',
      "Expected double-quoted property name in JSON at position 12 (line 3, column 1)",
    ],
    [
      "an offset on the first line",
      new SyntaxError("Unexpected non-whitespace character after JSON at position 7"),
      '{"a":1}x',
      "Unexpected non-whitespace character after JSON at position 7 (line 1, column 8)",
    ],
    [
      "an offset with its line and column already",
      new SyntaxError(
        "Expected ',' or '}' after property value in JSON at position 9 (line 2 column 1)",
      ),
      '{"a": 1\n"b"}',
      "Expected ',' or '}' after property value in JSON at position 9 (line 2 column 1)",
    ],
    [
      "a quote of the text, on one line",
      new SyntaxError('Unexpected token \'x\', "{\n  "id": x\n}" is not valid JSON'),
      '{\n  "id": x\n}',
      'Unexpected token \'x\', "{ "id": x }" is not valid JSON',
    ],
    [
      "no offset",
      new SyntaxError("Unexpected end of JSON input"),
      "",
      "Unexpected end of JSON input",
    ],
    ["something thrown that is no error", "out of memory", "{", "out of memory"],
  ])("words %s", (_what, err, text, words) => {
    expect(jsonProblem(err, text)).toBe(words);
  });
});
