import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadFile } from "../../../src/config/load/load.js";
import { integrationYaml, makeTempDir, removeDir } from "../../support/config-dir.js";

const dir = makeTempDir("hookswitch-size-rules-");
afterAll(() => removeDir(dir));
let files = 0;

async function problemsOf(webhook: Record<string, unknown>, env: Record<string, string> = {}) {
  const file = join(dir, `i${++files}.yaml`);
  await writeFile(file, integrationYaml("crm", { webhook }));
  const result = await loadFile(file, { secrets: "resolve", env });
  return result.problems.map((p) => p.message);
}

const KiB = 1024;
const url = "https://crm.example.com/h";

describe("constant parts of a request over its caps", () => {
  it.each<[string, Record<string, unknown>, Record<string, string>, RegExp | undefined]>([
    [
      "a URL of 64 KiB",
      { url: `${url}?q=${"a".repeat(64 * KiB - url.length - 3)}` },
      {},
      undefined,
    ],
    [
      "a URL one character longer",
      { url: `${url}?q=${"a".repeat(64 * KiB - url.length - 2)}` },
      {},
      /^webhook\.url is longer than 64 KiB \(65537 characters\)/,
    ],
    [
      "a URL from a secret past 64 KiB",
      { url: "${env:CRM_URL}" },
      { CRM_URL: `${url}?q=${"a".repeat(70 * KiB)}` },
      /^webhook\.url is longer than 64 KiB/,
    ],
    ["headers of 60 KiB", { url, headers: { "X-A": "a".repeat(60 * KiB) } }, {}, undefined],
    [
      "headers of 64 KiB, names counted",
      { url, headers: { "X-A": "a".repeat(64 * KiB - 3) } },
      {},
      undefined,
    ],
    [
      "headers one character longer",
      { url, headers: { "X-A": "a".repeat(64 * KiB - 2) } },
      {},
      /^webhook\.headers hold more than 64 KiB of names and values without their placeholders \(65537 characters\)/,
    ],
    [
      "two headers of 40 KiB",
      { url, headers: { "X-A": "a".repeat(40 * KiB), "X-B": "b".repeat(40 * KiB) } },
      {},
      /^webhook\.headers hold more than 64 KiB/,
    ],
    [
      "a header of placeholders only, which an event fills in",
      { url, headers: { "X-A": "{name}".repeat(20 * KiB) } },
      {},
      undefined,
    ],
  ])("%s", async (_what, webhook, env, expected) => {
    const problems = await problemsOf(webhook, env);
    if (expected === undefined) expect(problems).toEqual([]);
    else expect(problems).toEqual([expect.stringMatching(expected)]);
  });
});
