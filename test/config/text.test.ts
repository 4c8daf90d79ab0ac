import { describe, expect, it } from "vitest";
import { wholeNumber } from "../../src/config/text.js";

describe("wholeNumber", () => {
  it.each([
    ["0", 0],
    ["7", 7],
    ["256", 256],
    ["007", 7],
    ["9007199254740991", 9007199254740991],
  ])("reads %j as %i", (text, n) => {
    expect(wholeNumber(text)).toBe(n);
  });

  it.each([
    "",
    " 7",
    "7 ",
    "0x10",
    "1e3",
    "0b11",
    "0o7",
    "1.5",
    "-1",
    "+1",
    "1_000",
    "9007199254740993",
    "Infinity",
    "NaN",
  ])("refuses %j", (text) => {
    expect(wholeNumber(text)).toBeUndefined();
  });
});
