// Prints the one closing line CI reads ("N passed, M failed") from vitest's JSON reports
// (one or several: the unit/integration suite and the fault suite).
import { readFileSync } from "node:fs";

const files = process.argv.slice(2);
if (files.length === 0) files.push("reports/vitest.json");

let passed = 0;
let failed = 0;
let skipped = 0;
let success = true;
// The failures are named just above the closing line, where a log cut to its tail still shows them.
const failures = [];
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    failures.push(`${relativeName(file)}: the report could not be read (${err.message})`);
    failed += 1;
    success = false;
    continue;
  }
  // A suite that failed to load counts as a failure even though it ran no test.
  const failedSuites = (report.testResults ?? []).filter(
    (s) => s.status === "failed" && (s.assertionResults ?? []).length === 0,
  ).length;
  for (const suite of report.testResults ?? []) {
    const where = relativeName(suite.name);
    const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === "failed");
    for (const test of failedTests)
      failures.push(`${where} > ${test.fullName}: ${firstLine(test.failureMessages)}`);
    if (suite.status === "failed" && failedTests.length === 0)
      failures.push(`${where}: ${firstLine([suite.message])}`);
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests + failedSuites;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  success &&= report.success;
}
if (failures.length > 0) console.log(`failed:\n${failures.map((f) => `  ${f}`).join("\n")}`);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
process.exit(success && failed === 0 ? 0 : 1);

function relativeName(name) {
  const cwd = `${process.cwd()}/`;
  return typeof name === "string" && name.startsWith(cwd) ? name.slice(cwd.length) : String(name);
}

function firstLine(messages) {
  const text =
    (messages ?? []).find((m) => typeof m === "string" && m.trim() !== "") ?? "(no message)";
  const lines = text.trim().split("\n");
  // A property test's failure names its seed and counterexample on later lines: kept, so that
  // the failure can be run again.
  const replay = lines.filter((l) => /^(\{ seed: |Counterexample: )/.test(l.trim()));
  return [lines[0], ...replay].map((l) => l.trim().slice(0, 300)).join(" ");
}
