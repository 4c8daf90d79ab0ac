import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_EVENT_BYTES, parseEvent } from "../../src/events/parse.js";
import { makeEvent } from "../support/integration.js";

function expectPrototypesClean(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
}

/** The daemon stores `raw` in a record (dead letter or delivery): it must serialise. */
function expectStorable(raw: unknown): void {
  expect(() => JSON.stringify({ event: raw })).not.toThrow();
}

const nested = (depth: number, open: string, close: string) =>
  open.repeat(depth) + close.repeat(depth);

describe("parseEvent with arbitrary input", () => {
  it("never throws on arbitrary JSON values, and only accepts objects", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parseEvent(JSON.stringify(value) ?? "null");
        if (result.ok) expect(typeof result.event).toBe("object");
        else expect(result.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        expect(typeof parseEvent(bytes).ok).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a valid event valid when arbitrary extra fields are added", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })),
        (extra) => {
          const event = { ...extra, ...makeEvent() };
          const result = parseEvent(JSON.stringify(event));
          expect(result.ok).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ["__proto__", '{"__proto__":{"polluted":1},"id":"x"}'],
    ["constructor.prototype", '{"constructor":{"prototype":{"polluted":1}}}'],
    [
      "nested __proto__",
      JSON.stringify(makeEvent()).replace('"data":{', '"data":{"__proto__":{"polluted":1},'),
    ],
    [
      "__proto__ in user",
      JSON.stringify(makeEvent()).replace('"user":{', '"user":{"__proto__":{"polluted":1},'),
    ],
  ])("leaves Object.prototype alone with a %s key", (_, text) => {
    const result = parseEvent(text);
    expectPrototypesClean();
    expect(typeof result.ok).toBe("boolean");
  });

  it("refuses an oversized message before parsing it, keeping only its start", () => {
    const big = `{"pad":"${"x".repeat(MAX_EVENT_BYTES)}"}`;
    for (const input of [big, Buffer.from(big)]) {
      const result = parseEvent(input);
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result.raw ?? "").length).toBeLessThan(4 * 1024);
    }
  });

  // 100,000 levels of [[[...]]] is 200 KB: well under the size limit.
  it.each([
    ["arrays", nested(100_000, "[", "]")],
    ["objects", nested(100_000, '{"a":', "}").replace(/}+$/, (m) => `1${m}`)],
  ])("answers for 100,000 nested %s without throwing", (_, text) => {
    const result = parseEvent(text);
    expect(result.ok).toBe(false);
  });

  // Known bug: parseEvent keeps the deeply nested value as `raw`, and the daemon cannot
  // serialise it into a dead-letter record (JSON.stringify overflows the stack), so the message
  // is handed back forever instead of being dead-lettered. See docs/reliability.md.
  it("returns a raw value the daemon can store, even for 100,000 nested arrays", () => {
    expectStorable(parseEvent(nested(100_000, "[", "]")).raw);
  });

  it("returns a storable event when a valid event carries a deeply nested extra field", () => {
    const text = JSON.stringify(makeEvent()).replace(
      '"data":{',
      `"data":{"extra":${nested(100_000, "[", "]")},`,
    );
    expectStorable(parseEvent(text).raw);
  });
});
