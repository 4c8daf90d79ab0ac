import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "hookswitch-summary-"));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function summarise(...reports: object[]): Promise<{ code: number; out: string }> {
  const files = await Promise.all(
    reports.map(async (report, i) => {
      const file = join(folder, `report-${i}.json`);
      await writeFile(file, JSON.stringify(report));
      return file;
    }),
  );
  return summariseFiles(files);
}

async function summariseFiles(files: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ["scripts/summary.mjs", ...files]);
    return { code: 0, out: stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

const passing = {
  numPassedTests: 3,
  numFailedTests: 0,
  numPendingTests: 1,
  success: true,
  testResults: [],
};

describe("the CI summary", () => {
  it("ends with the counts of every report and exits 0 when all passed", async () => {
    const { code, out } = await summarise(passing, { ...passing, numPendingTests: 0 });
    expect(out).toBe("6 passed, 0 failed, 1 skipped\n");
    expect(code).toBe(0);
  });

  it("names each failed test and each suite that did not load just above the counts", async () => {
    const failing = {
      numPassedTests: 1,
      numFailedTests: 2,
      success: false,
      testResults: [
        {
          name: join(process.cwd(), "test/a.test.ts"),
          status: "failed",
          assertionResults: [
            { status: "passed", fullName: "a passes" },
            {
              status: "failed",
              fullName: "a fails",
              failureMessages: ["AssertionError: expected 1 to be 2\n  at x"],
            },
            {
              status: "failed",
              fullName: "a property fails",
              failureMessages: [
                'Error: Property failed after 3 tests\n{ seed: -11, path: "2:0", endOnFailure: true }\n' +
                  'Counterexample: [["8.E400"]]\nShrunk 1 time(s)\n  at y',
              ],
            },
          ],
        },
        {
          name: join(process.cwd(), "test/b.test.ts"),
          status: "failed",
          message: "Cannot find module",
          assertionResults: [],
        },
      ],
    };
    const { code, out } = await summarise(passing, failing);
    expect(out.trimEnd().split("\n")).toEqual([
      "failed:",
      "  test/a.test.ts > a fails: AssertionError: expected 1 to be 2",
      '  test/a.test.ts > a property fails: Error: Property failed after 3 tests { seed: -11, path: "2:0", endOnFailure: true } Counterexample: [["8.E400"]]',
      "  test/b.test.ts: Cannot find module",
      "4 passed, 3 failed, 1 skipped",
    ]);
    expect(code).toBe(1);
  });

  it("counts a report it cannot read as a failure", async () => {
    const { code, out } = await summariseFiles([join(folder, "missing.json")]);
    expect(code).toBe(1);
    expect(out).toMatch(
      /^failed:\n {2}\S*missing\.json: the report could not be read \(ENOENT[^\n]*\n0 passed, 1 failed\n$/,
    );
  });
});
