import { describe, expect, it } from "vitest";
import { durationOr, formatDuration, parseDuration } from "../../src/config/durations.js";

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["10s", 10_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["0s", 0],
  ])("reads %s as %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["10", "1.5s", "-1s", "1d", "s", " 1s", "1s ", "10sx", "1 s", "1S", "10000000000ms", ""])(
    "rejects %j",
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [3_600_000, "1h"],
    [90_000, "90s"],
    [250, "250ms"],
    [120_000, "2m"],
    [0, "0ms"],
    [1_000, "1s"],
    [1_500, "1500ms"],
  ])("writes %i ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("durationOr", () => {
  it.each<[string | undefined, number | undefined]>([
    [undefined, 5_000],
    ["2s", 2_000],
    ["0s", 0],
    ["", undefined],
    ["2 s", undefined],
  ])("reads %j, with 5 s when none is written, as %j ms", (written, ms) => {
    expect(durationOr(written, 5_000)).toBe(ms);
  });
});
