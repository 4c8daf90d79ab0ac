/**
 * A secret written into a file, and a slip typed around it: whatever the slip, no problem
 * the loader reports repeats the secret or a part of it (problems go to CI logs, `validate`'s
 * output and the daemon's log). Every YAML indicator at every place of the secret's line up
 * to it, inserted or in place of the character there; every pair of brackets or quotes
 * around any part of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadFileSync } from "../../../src/config/load/load-file.js";

const SECRET = "Zq7Pa55SECRETword";
/**
 * What no message may hold: any seven characters in a row of the secret. Six letters may
 * be repeated (a short word in braces is named, `{bogus}`), and carry no secret.
 */
const PARTS = Array.from({ length: SECRET.length - 6 }, (_, i) => SECRET.slice(i, i + 7));
const SLIPS = [..." -:#[]{}\",'*&!%|>?@`\t.\\$<"];

const integration = (auth: string, headers: string) => `apiVersion: hookswitch/v1
name: billing
scope:
  account: acme
trigger:
  serviceType: mycloudpbx
  events: [user.created]
webhook:
  url: https://billing.example.com/extensions
  auth:
${auth}
  headers:
${headers}
  fields:
    extension: extensionNumber
`;

const FILES: Array<[string, string]> = [
  [
    "a Basic password",
    integration(`    type: basic\n    username: hookswitch\n    password: ${SECRET}`, "    X-A: a"),
  ],
  ["a bearer token", integration(`    type: token\n    token: ${SECRET}`, "    X-A: a")],
  ["a header's value", integration("    type: token\n    token: t", `    X-Api-Key: ${SECRET}`)],
  [
    "a URL's path",
    integration("    type: token\n    token: t", "    X-A: a").replace(
      "https://billing.example.com/extensions",
      `https://billing.example.com/hooks/${SECRET}`,
    ),
  ],
  [
    "a signing secret",
    integration("    type: token\n    token: t", "    X-A: a").replace(
      "  fields:",
      `  signing:\n    secret: whsec_${SECRET}AAAAAAAAAAAAAAAAAAAAAAA=\n  fields:`,
    ),
  ],
];

/** Each text of `file` with its secret's line changed by `variants`, where the secret stays whole. */
function slipsOf(file: string, variants: (line: string) => string[]): string[] {
  const lines = file.split("\n");
  const at = lines.findIndex((line) => line.includes(SECRET));
  return variants(lines[at]!)
    .filter((changed) => changed.includes("SECRET"))
    .map((changed) => [...lines.slice(0, at), changed, ...lines.slice(at + 1)].join("\n"));
}

/** One character typed on the line up to just after the secret, or in place of one. */
function oneCharacter(line: string): string[] {
  const texts: string[] = [];
  const to = Math.min(line.length, line.indexOf(SECRET) + SECRET.length + 2);
  for (let i = 0; i <= to; i++) {
    for (const slip of SLIPS) {
      texts.push(
        line.slice(0, i) + slip + line.slice(i),
        line.slice(0, i) + slip + line.slice(i + 1),
      );
    }
  }
  return texts;
}

/** A pair of brackets or quotes typed around any part of the secret, or just beside it. */
function pairAround(line: string): string[] {
  const texts: string[] = [];
  const [from, to] = [line.indexOf(SECRET) - 2, line.indexOf(SECRET) + SECRET.length + 2];
  for (let i = Math.max(0, from); i <= Math.min(line.length, to); i++) {
    for (let j = i; j <= Math.min(line.length, to); j++) {
      for (const [open, close] of ["{}", "[]", '""', "''"]) {
        texts.push(line.slice(0, i) + open! + line.slice(i, j) + close! + line.slice(j));
      }
    }
  }
  return texts;
}

describe("the loader's problems with a secret written in the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "hookswitch-secret-slips-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(FILES)("never repeat %s, whatever one character is typed around it", (_what, file) => {
    const { leaks, refused } = loadEach(slipsOf(file, oneCharacter));
    expect(leaks).toEqual([]);
    // The slips are real ones: many of them make the file invalid.
    expect(refused).toBeGreaterThan(100);
  });

  it.each(FILES)(
    "never repeat %s, whatever pair of brackets or quotes is typed into it",
    (_what, file) => {
      const { leaks, refused } = loadEach(slipsOf(file, pairAround));
      expect(leaks).toEqual([]);
      expect(refused).toBeGreaterThan(20);
    },
  );

  /** Loads each text as the file: the messages that repeat the secret, and how many refused it. */
  function loadEach(texts: string[]): { leaks: string[]; refused: number } {
    const path = join(dir, "billing.yaml");
    const leaks: string[] = [];
    let refused = 0;
    for (const text of texts) {
      writeFileSync(path, text);
      const { problems, warnings = [] } = loadFileSync(path, { secrets: "keep", env: {} });
      if (problems.length > 0) refused++;
      for (const { message } of [...problems, ...warnings]) {
        if (PARTS.some((part) => message.includes(part))) leaks.push(message);
      }
    }
    return { leaks, refused };
  }
});
