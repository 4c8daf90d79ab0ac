import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  readReference,
  secretFileText,
  trimTrailingNewlines,
} from "../../src/config/secret-files.js";

describe("secretFileText", () => {
  it.each([
    ["tok\n", "tok"],
    // Windows Notepad's UTF-8 starts with a byte-order mark: never part of a secret.
    ["\ufefftok\n", "tok"],
    ["\ufefftok\r\n", "tok"],
    ["\ufeffwhsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    // Only one mark, and only at the start: what follows is the secret's own text.
    ["\ufeff\ufefftok", "\ufefftok"],
    ["to\ufeffk", "to\ufeffk"],
    ["\ufeff", ""],
  ])("reads %j as the secret %j", (text, secret) => {
    expect(secretFileText(text)).toBe(secret);
  });
});

describe("trimTrailingNewlines", () => {
  it("trims a secret of 200,000 newlines and a letter at once (a pattern took 20 s)", () => {
    const text = `${"\n".repeat(200_000)}x\n`;
    const started = performance.now();
    expect(trimTrailingNewlines(text)).toBe(text.slice(0, -1));
    expect(performance.now() - started).toBeLessThan(500);
  });

  it.each([
    ["a\n", "a"],
    ["a\r\n\n", "a"],
    ["a\nb", "a\nb"],
    // Only line ends: spaces and tabs may be part of a secret.
    ["  t0ken \t\n", "  t0ken \t"],
  ])("trims trailing newlines of %j", (text, trimmed) => {
    expect(trimTrailingNewlines(text)).toBe(trimmed);
  });
});

describe("readReference", () => {
  const sources = {
    env: { TOKEN: "\ufeffenv" },
    readFile: (path: string): string => {
      if (path.endsWith("bom")) return "\ufefftok\n";
      throw Object.assign(new Error("nope"), { code: "ENOENT" });
    },
    locate: (path: string) => resolve("/etc/hookswitch/integrations.d", path),
  };

  it.each<[string, ReturnType<typeof readReference>]>([
    ["/s/bom", { ok: true, value: "tok" }],
    // A variable is taken as it is: no editor wrote it.
    ["env:TOKEN", { ok: true, value: "\ufeffenv" }],
    [
      "/s/none",
      { ok: false, message: "secret file /s/none cannot be read (ENOENT: no such file)" },
    ],
    // A relative path is named as written and as the file it was looked for at.
    [
      "../secrets/crm-token",
      {
        ok: false,
        message:
          "secret file ../secrets/crm-token (/etc/hookswitch/secrets/crm-token) cannot be read (ENOENT: no such file)",
      },
    ],
  ])("reads %j as %j", (written, result) => {
    const reference = written.startsWith("env:")
      ? ({ kind: "env", name: written.slice(4) } as const)
      : ({ kind: "file", path: written } as const);
    expect(readReference(reference, sources)).toEqual(result);
  });
});
