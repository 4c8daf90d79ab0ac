import { describe, expect, it } from "vitest";
import { LOGGED_TEXT_CHARS, loggedText } from "../../src/logger.js";

describe("loggedText", () => {
  it.each([
    ["a UUID", "9b2f4c1e-5a77-4e0f-8d1b-2f8f2a0c6d10", "9b2f4c1e-5a77-4e0f-8d1b-2f8f2a0c6d10"],
    ["a text of exactly the limit", "x".repeat(LOGGED_TEXT_CHARS), "x".repeat(LOGGED_TEXT_CHARS)],
    [
      "a text one longer",
      "x".repeat(LOGGED_TEXT_CHARS + 1),
      `${"x".repeat(LOGGED_TEXT_CHARS)}… (201 characters)`,
    ],
    [
      "an emoji cut in half at the limit",
      `${"x".repeat(LOGGED_TEXT_CHARS - 1)}😀😀`,
      `${"x".repeat(LOGGED_TEXT_CHARS - 1)}\ufffd… (203 characters)`,
    ],
  ])("keeps %s as %j", (_what, text, logged) => {
    expect(loggedText(text)).toBe(logged);
  });
});
