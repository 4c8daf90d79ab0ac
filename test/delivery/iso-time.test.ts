import { describe, expect, it, vi } from "vitest";
import { isoTimeMemo } from "../../src/delivery/iso-time.js";

describe("isoTimeMemo", () => {
  const isoTime = isoTimeMemo();

  it.each([
    ["the epoch", 0],
    ["a time with milliseconds", Date.UTC(2026, 10, 29, 9, 30, 15, 123)],
    ["the same millisecond again, another Date", Date.UTC(2026, 10, 29, 9, 30, 15, 123)],
    ["the next millisecond", Date.UTC(2026, 10, 29, 9, 30, 15, 124)],
    ["an earlier time", Date.UTC(1999, 11, 31, 23, 59, 59, 999)],
    ["a leap day", Date.UTC(2028, 1, 29)],
  ])("formats %s as toISOString does", (_what, ms) => {
    expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it("answers each time asked, alternating between two times", () => {
    const [a, b] = [new Date(1_000), new Date(2_000)];
    expect([isoTime(a), isoTime(b), isoTime(a)]).toEqual([
      a.toISOString(),
      b.toISOString(),
      a.toISOString(),
    ]);
  });

  it("formats a millisecond once, even while another memo formats other times", () => {
    const formatting = vi.spyOn(Date.prototype, "toISOString");
    try {
      const [render, count] = [isoTimeMemo(), isoTimeMemo()];
      for (let i = 0; i < 10; i++) {
        render(new Date(9_000));
        count(new Date(8_000));
      }
      expect(formatting).toHaveBeenCalledTimes(2);
    } finally {
      formatting.mockRestore();
    }
  });
});
