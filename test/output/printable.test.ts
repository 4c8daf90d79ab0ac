import { describe, expect, it } from "vitest";
import { printable, printableStart } from "../../src/output/printable.js";

describe("printable", () => {
  it.each([
    ["plain text", "acme-01", "acme-01"],
    ["a line break", "a\nb.yaml", "a\ufffdb.yaml"],
    ["a carriage return", "a\rb", "a\ufffdb"],
    ["an escape sequence", "\u001b[31mred", "\ufffd[31mred"],
    ["a NUL", "a\u0000b", "a\ufffdb"],
    ["DEL", "a\u007fb", "a\ufffdb"],
    ["a C1 control", "a\u009bb", "a\ufffdb"],
    ["a tab", "a\tb", "a\ufffdb"],
    ["the unit separator, last of C0", "a\u001fb", "a\ufffdb"],
    ["several controls, each", "\u001b[1m\r\n", "\ufffd[1m\ufffd\ufffd"],
    ["text beyond Latin-1", "Zoë 🎧 ☎", "Zoë 🎧 ☎"],
    ["no-break space", "a\u00a0b", "a\u00a0b"],
  ])("shows %s as the terminal should see it", (_, text, shown) => {
    expect(printable(text)).toBe(shown);
  });

  it.each([
    ["100 characters whole", "x".repeat(100), "x".repeat(100)],
    ["101 characters cut to 100", "x".repeat(101), `${"x".repeat(100)}…`],
  ])("shows a start of %s", (_what, text, shown) => {
    expect(printableStart(text)).toBe(shown);
  });

  it("cuts long text to its first hundred characters before it is shown", () => {
    const shown = printableStart(`\u001b${"x".repeat(500)}`);
    expect(shown.startsWith("\ufffdxxx")).toBe(true);
    expect(shown.length).toBeLessThan(110);
  });
});
