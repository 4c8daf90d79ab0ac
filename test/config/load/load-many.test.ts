import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFile, loadFiles } from "../../../src/config/load/load.js";
import { runCli } from "../../support/cli.js";
import { integrationYaml } from "../../support/config-dir.js";

const COUNT = 300; // above the threshold where the built loader uses worker threads
const BROKEN = 123;

describe("loading many files", () => {
  let dir: string;
  const files: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-many-"));
    for (let i = 0; i < COUNT; i++) {
      const file = join(dir, `integration-${String(i).padStart(3, "0")}.yaml`);
      const text = integrationYaml(`many-${i}`, i === BROKEN ? { webhook: { method: "PUT" } } : {});
      writeFileSync(file, text);
      files.push(file);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads in the calling thread in slices, leaving turns of the event loop to other work", async () => {
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const sliced = await loadFiles(files, { secrets: "keep" }, Infinity);
    counting = false;
    // 300 files take tens of milliseconds; a slice holds the loop for 10 at most.
    expect(turns).toBeGreaterThan(1);
    const oneByOne = await Promise.all(files.map((file) => loadFile(file, { secrets: "keep" })));
    expect(sliced.map((r) => r.hash)).toEqual(oneByOne.map((r) => r.hash));
  });

  it("gives in worker threads (built CLI) exactly what it gives in-process", async () => {
    const inProcess = await loadFiles(files, { secrets: "keep" });
    const out = await runCli(["validate", dir, "--format", "json"]);
    expect(out.code).toBe(1);
    const report = JSON.parse(out.stdout) as {
      files: { file: string; integrations: string[] }[];
      problems: { file: string; line: number; column: number; message: string }[];
    };
    expect(report.files.map((f) => f.integrations)).toEqual(
      inProcess.map((r) => r.integrations.map((i) => i.name)),
    );
    const expected = inProcess.flatMap((r) => r.problems);
    expect(expected).toHaveLength(1);
    expect(report.problems.map(({ line, column, message }) => ({ line, column, message }))).toEqual(
      expected.map(({ line, column, message }) => ({ line, column, message })),
    );
    expect(report.problems[0]?.file).toMatch(/integration-123\.yaml$/);
  });
});
