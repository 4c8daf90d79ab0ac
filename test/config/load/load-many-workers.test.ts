import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFiles } from "../../../src/config/load/load.js";
import { runCli } from "../../support/cli.js";
import { integrationYaml } from "../../support/config-dir.js";

// Three batches of 250 and part of a fourth: more than the two a worker holds at once.
const COUNT = 760;
// A problem in the first, second and third batch.
const BROKEN = new Set([7, 301, 699]);

interface Summary {
  integrations: string[][];
  problems: { file: string; line: number; column: number; message: string }[];
}

/** `validate --format json` (the built CLI, loading in worker threads), as a summary. */
async function validated(dir: string, env: Record<string, string> = {}): Promise<Summary> {
  const out = await runCli(["validate", dir, "--format", "json"], { env });
  expect(out.code, out.stderr).toBe(1);
  const report = JSON.parse(out.stdout) as {
    files: { integrations: string[] }[];
    problems: Summary["problems"];
  };
  return {
    integrations: report.files.map((f) => f.integrations),
    problems: report.problems.map(({ file, line, column, message }) => ({
      file: basename(file),
      line,
      column,
      message,
    })),
  };
}

describe("loading more files than worker threads hold at once", () => {
  let dir: string;
  let preloads: string;
  let inProcess: Summary;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-many-workers-"));
    preloads = mkdtempSync(join(tmpdir(), "hookswitch-many-preloads-"));
    const files: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const file = join(dir, `integration-${String(i).padStart(3, "0")}.yaml`);
      const broken = BROKEN.has(i) ? { webhook: { method: "PUT" } } : {};
      writeFileSync(file, integrationYaml(`many-${i}`, broken));
      files.push(file);
    }
    const loaded = await loadFiles(files, { secrets: "keep" });
    inProcess = {
      integrations: loaded.map((r) => r.integrations.map((i) => i.name)),
      problems: loaded.flatMap((r) =>
        r.problems.map(({ file, line, column, message }) => ({
          file: basename(file),
          line,
          column,
          message,
        })),
      ),
    };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(preloads, { recursive: true, force: true });
  });

  it("gives every batch's results in the order of the files", async () => {
    expect(inProcess.problems).toHaveLength(BROKEN.size);
    expect(await validated(dir)).toEqual(inProcess);
  });

  it.each([
    ["throws", `throw new Error("a loader thread broken on purpose")`],
    ["exits", `process.exit(3)`],
  ])(
    "loads in-process the batches a worker held and every later one when the worker %s",
    async (failure, code) => {
      // Runs first in every worker thread: at the first batch it is sent, the thread fails.
      const preload = join(preloads, `${failure}.mjs`);
      writeFileSync(
        preload,
        `import { isMainThread, parentPort } from "node:worker_threads";\n` +
          `if (!isMainThread) parentPort.once("message", () => { ${code}; });\n`,
      );
      const env = { NODE_OPTIONS: `--import="${preload}"` };
      expect(await validated(dir, env)).toEqual(inProcess);
    },
  );
});
