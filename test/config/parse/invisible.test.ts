import { describe, expect, it } from "vitest";
import {
  invisibleNote,
  quoteVisibly,
  withoutInvisible,
} from "../../../src/config/parse/invisible.js";

describe("characters one cannot see, in keys and values", () => {
  it.each([
    [
      "\ufeffapiVersion",
      '"\\ufeffapiVersion"',
      "it holds a byte-order mark (U+FEFF), which does not show: remove it",
    ],
    [
      "name\u00a0",
      '"name\\u00a0"',
      "it holds a no-break space (U+00A0), which looks like a plain space but is not: remove it",
    ],
    [
      "a\u202fb\u2007",
      '"a\\u202fb\\u2007"',
      "it holds a narrow no-break space (U+202F) and a space (U+2007), which look like plain spaces but are not: remove them",
    ],
    [
      "X-A\u200b\u200b",
      '"X-A\\u200b\\u200b"',
      "it holds a zero-width space (U+200B), which does not show: remove it",
    ],
    [
      "a\u200d\u00a0",
      '"a\\u200d\\u00a0"',
      "it holds a zero-width joiner (U+200D) and a no-break space (U+00A0), which do not show: remove them",
    ],
    [
      "a\u2062",
      '"a\\u2062"',
      "it holds an invisible character (U+2062), which does not show: remove it",
    ],
    [
      "\ufeffa\u200bb\u00a0",
      '"\\ufeffa\\u200bb\\u00a0"',
      "it holds a byte-order mark (U+FEFF), a zero-width space (U+200B) and a no-break space (U+00A0), which do not show: remove them",
    ],
    [
      "a\u2028b\u2029",
      '"a\\u2028b\\u2029"',
      "it holds an invisible character (U+2028) and an invisible character (U+2029), which do not show: remove them",
    ],
    ["plain text, é and \t", '"plain text, é and \\t"', undefined],
  ])("shows %j as %s, and names what it holds", (text, shown, note) => {
    expect(quoteVisibly(text)).toBe(shown);
    expect(invisibleNote(text)).toBe(note);
  });

  it("takes them out to find the key meant", () => {
    expect(withoutInvisible("\ufeffapi\u200bVersion\u00a0")).toBe("apiVersion");
  });
});
