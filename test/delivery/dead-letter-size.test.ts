import { describe, expect, it } from "vitest";
import {
  fitDeadLetter,
  HEADER_ROOM_BYTES,
  KEPT_EVENT_CHARS,
} from "../../src/delivery/dead-letter-size.js";
import type { DeadLetterRecord } from "../../src/delivery/records.js";

const MAX = 1024 * 1024;

function letter(event: unknown, body: string | null): DeadLetterRecord {
  return {
    v: 1,
    integration: "crm",
    webhookId: "msg_1",
    eventId: "e1",
    reason: "HTTP 404 is not retried",
    event,
    attempts: [{ at: "2026-11-28T17:00:00.000Z", status: 404 }],
    lastStatus: 404,
    lastError: null,
    lastResponseBody: "not found",
    firstAttemptAt: "2026-11-28T17:00:00.000Z",
    lastAttemptAt: "2026-11-28T17:00:00.000Z",
    request: { method: "POST", url: "https://crm.example.com/hook", headers: {}, body },
    deadAt: "2026-11-28T17:00:00.100Z",
  };
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

describe("fitDeadLetter", () => {
  it.each([
    ["a small record", { id: "e1" }, '{"n":"Alice"}', undefined],
    [
      "a request body as large as its event",
      { name: "a".repeat(540_000) },
      "a".repeat(540_000),
      ["request.body"],
    ],
    ["a text event that JSON escaping doubles", '"\\'.repeat(340_000), null, ["event"]],
    [
      "an event too large with a body",
      { pad: "x".repeat(1_100_000) },
      "y".repeat(10),
      ["request.body", "event"],
    ],
    [
      "multi-byte text that fits in characters but not in bytes",
      "é".repeat(600_000),
      null,
      ["event"],
    ],
  ])("keeps %s within the message, naming what it cut", (_what, event, body, cut) => {
    const { record, text } = fitDeadLetter(letter(event, body), MAX);
    expect(bytes(text)).toBeLessThanOrEqual(MAX - HEADER_ROOM_BYTES);
    expect(JSON.parse(text)).toEqual(record);
    expect(record.cut).toEqual(cut);
    if (!cut?.includes("event")) expect(record.event).toEqual(event);
    else expect(record.event).toHaveLength(KEPT_EVENT_CHARS);
  });

  it.each([
    ["as long as the message less 4 KiB is kept whole", 0, undefined],
    ["one byte longer loses its request body", -1, ["request.body"]],
  ])("leaves 4 KiB for headers: a record %s", (_what, spare, cut) => {
    const record = letter({ id: "e1" }, "b".repeat(1_000));
    const maxPayload = bytes(JSON.stringify(record)) + 4 * 1024 + spare;
    expect(fitDeadLetter(record, maxPayload).record.cut).toEqual(cut);
  });

  it("keeps the rest of the request when it cuts only the body", () => {
    const { record } = fitDeadLetter(letter({ id: "e1" }, "b".repeat(1_100_000)), MAX);
    expect(record.cut).toEqual(["request.body"]);
    expect(record.request).toEqual({
      method: "POST",
      url: "https://crm.example.com/hook",
      headers: {},
      body: null,
    });
  });

  it("keeps the start of a text event as it is, not as JSON writes it", () => {
    const event = "x".repeat(KEPT_EVENT_CHARS * 20);
    const { record } = fitDeadLetter(letter(event, null), MAX);
    expect(record.event).toBe(event.slice(0, KEPT_EVENT_CHARS));
  });

  it.each([
    ["exactly as long as it keeps is not cut", KEPT_EVENT_CHARS, ["request"]],
    ["one character longer is cut", KEPT_EVENT_CHARS + 1, ["event", "request"]],
  ])("cuts a text event only when longer than it keeps: one %s", (_what, chars, cut) => {
    // Room for the event it keeps, not for the request's large header beside it.
    const record = letter("x".repeat(chars), null);
    record.request!.headers = { "X-Big": "h".repeat(10_000) };
    const maxPayload = HEADER_ROOM_BYTES + KEPT_EVENT_CHARS + 1_000;
    expect(fitDeadLetter(record, maxPayload).record.cut).toEqual(cut);
  });

  it("cuts the event of a record without a request, naming no request cut", () => {
    const record = letter({ pad: "x".repeat(200_000) }, null);
    delete record.request;
    const fitted = fitDeadLetter(record, HEADER_ROOM_BYTES + 100_000);
    expect(fitted.record.cut).toEqual(["event"]);
    expect(fitted.record.event).toHaveLength(KEPT_EVENT_CHARS);
  });

  it.each([
    [
      "text that JSON escaping doubles, on a server of 64 KiB messages",
      '"'.repeat(60_000),
      64 * 1024,
    ],
    ["text that JSON escaping makes six times longer", "\u0001".repeat(100_000), 256 * 1024],
    ["a long text on a server of 64 KiB messages", "t".repeat(200_000), 64 * 1024],
    ["an event on a server of 5 KiB messages", { pad: "x".repeat(200_000) }, 5 * 1024],
  ])(
    "keeps as much of the event's start as fits when cutting it short is not enough: %s",
    (_what, event, maxPayload) => {
      const fitted = fitDeadLetter(letter(event, "b".repeat(100)), maxPayload);
      expect(bytes(fitted.text)).toBeLessThanOrEqual(maxPayload - HEADER_ROOM_BYTES);
      expect(fitted.record.cut).toContain("event");
      const whole = typeof event === "string" ? event : JSON.stringify(event);
      const kept = fitted.record.event as string;
      expect(whole.startsWith(kept)).toBe(true);
      // Not much less than fits: one more character would not.
      const more = { ...fitted.record, event: whole.slice(0, kept.length + 1) };
      expect(bytes(JSON.stringify(more))).toBeGreaterThan(maxPayload - HEADER_ROOM_BYTES);
    },
  );

  it.each([
    ["a long id that leaves room is kept whole", 300, "x".repeat(10_000), 300, ["event"]],
    [
      "an id that leaves no room is cut, a short event kept",
      5_000,
      "abc",
      256,
      ["event", "eventId"],
    ],
  ])(
    "cuts an event id only when nothing else makes room: %s",
    (_what, idLength, event, kept, cut) => {
      const record = letter(event, null);
      delete record.request;
      record.eventId = "i".repeat(idLength);
      const fitted = fitDeadLetter(record, HEADER_ROOM_BYTES + 2_000);
      expect(bytes(fitted.text)).toBeLessThanOrEqual(2_000);
      expect(fitted.record.eventId).toHaveLength(kept);
      expect(fitted.record.cut).toEqual(cut);
      if (event === "abc") expect(fitted.record.event).toBe("abc");
    },
  );

  it("keeps the start of an event id too long to leave room, and says so", () => {
    const record = letter({ id: "i".repeat(100_000) }, null);
    record.eventId = "i".repeat(100_000);
    const fitted = fitDeadLetter(record, 64 * 1024);
    expect(bytes(fitted.text)).toBeLessThanOrEqual(64 * 1024 - HEADER_ROOM_BYTES);
    expect(fitted.record.cut).toEqual(["event", "request", "eventId"]);
    expect(fitted.record.eventId).toBe("i".repeat(256));
  });

  it("leaves the record it is given as it was", () => {
    const original = letter({ name: "a".repeat(600_000) }, "b".repeat(600_000));
    fitDeadLetter(original, MAX);
    expect(original.cut).toBeUndefined();
    expect(original.request?.body).toHaveLength(600_000);
  });

  it("drops the request last, when only that makes it fit", () => {
    const record = letter("short", null);
    record.request = {
      method: "POST",
      url: "https://h/",
      headers: { "X-Big": "h".repeat(200_000) },
      body: null,
    };
    const fitted = fitDeadLetter(record, 100_000);
    expect(fitted.record.cut).toEqual(["request"]);
    expect(fitted.record.request).toBeUndefined();
    expect(bytes(fitted.text)).toBeLessThanOrEqual(100_000 - HEADER_ROOM_BYTES);
  });
});
