/**
 * A secret written into a file, and one character typed around it: whatever the slip, no
 * problem the loader reports repeats the secret (it goes to CI logs, `validate`'s output
 * and the daemon's log). Every position of the secret's line, every YAML indicator,
 * inserted or in place of the character there.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadFileSync } from "../../../src/config/load/load-file.js";

const SECRET = "Zq7Pa55SECRETword";
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
];

/** Each text of `file` with one character typed on the line that holds the secret. */
function slipsOf(file: string): string[] {
  const lines = file.split("\n");
  const at = lines.findIndex((line) => line.includes(SECRET));
  const line = lines[at]!;
  const texts: string[] = [];
  for (let i = 0; i <= line.length; i++) {
    for (const slip of SLIPS) {
      for (const changed of [
        line.slice(0, i) + slip + line.slice(i),
        line.slice(0, i) + slip + line.slice(i + 1),
      ]) {
        if (changed.includes(SECRET))
          texts.push([...lines.slice(0, at), changed, ...lines.slice(at + 1)].join("\n"));
      }
    }
  }
  return texts;
}

describe("the loader's problems with a secret written in the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "hookswitch-secret-slips-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(FILES)("never repeat %s, whatever one character is typed around it", (_what, file) => {
    const path = join(dir, "billing.yaml");
    const leaks: string[] = [];
    let refused = 0;
    for (const text of slipsOf(file)) {
      writeFileSync(path, text);
      const { problems, warnings = [] } = loadFileSync(path, { secrets: "keep", env: {} });
      if (problems.length > 0) refused++;
      for (const { message } of [...problems, ...warnings]) {
        if (message.includes("SECRET")) leaks.push(message);
      }
    }
    expect(leaks).toEqual([]);
    // The slips are real ones: many of them make the file invalid.
    expect(refused).toBeGreaterThan(100);
  });
});
