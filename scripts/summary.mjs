// Prints the one closing line CI reads ("N passed, M failed") from vitest's JSON reports
// (one or several: the unit/integration suite and the fault suite).
import { readFileSync } from "node:fs";

const files = process.argv.slice(2);
if (files.length === 0) files.push("reports/vitest.json");

let passed = 0;
let failed = 0;
let skipped = 0;
let success = true;
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    console.error(`could not read ${file}: ${err.message}`);
    failed += 1;
    success = false;
    continue;
  }
  // A suite that failed to load counts as a failure even though it ran no test.
  const failedSuites = (report.testResults ?? []).filter(
    (s) => s.status === "failed" && (s.assertionResults ?? []).length === 0,
  ).length;
  passed += report.numPassedTests;
  failed += report.numFailedTests + failedSuites;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  success &&= report.success;
}
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
process.exit(success && failed === 0 ? 0 : 1);
