import { describe, expect, it } from "vitest";
import { lastActive } from "../../src/nats/last-active.js";

describe("lastActive: when consumer info says a consumer was last active", () => {
  it.each([
    ["an RFC 3339 time with nanoseconds", "2026-12-04T07:31:23.398130105Z", 1796369483.398],
    ["an RFC 3339 time with an offset", "2026-12-04T08:31:23+01:00", 1796369483],
    ["no activity yet (the field left out)", undefined, undefined],
    ["Go's zero time", "0001-01-01T00:00:00Z", undefined],
    ["text that is no time", "soon", undefined],
    ["a number, as the client's type would have it", 1796369483398, undefined],
  ])("reads %s", (_what, value, seconds) => {
    const info = { consumer_seq: 1, stream_seq: 1, last_active: value as never };
    expect(lastActive(info)).toBe(seconds);
  });

  it("reads nothing of no info", () => {
    expect(lastActive(undefined)).toBeUndefined();
  });
});
