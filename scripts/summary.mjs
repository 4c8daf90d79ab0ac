// Prints the one closing line CI reads ("N passed, M failed") from vitest's JSON report.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "reports/vitest.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (err) {
  console.log(`0 passed, 1 failed`);
  console.error(`could not read ${file}: ${err.message}`);
  process.exit(1);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A suite that failed to load counts as a failure even though it ran no test.
const failedSuites = (report.testResults ?? []).filter(
  (s) => s.status === "failed" && (s.assertionResults ?? []).length === 0,
).length;
const failed = report.numFailedTests + failedSuites;
console.log(
  `${report.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""),
);
process.exit(report.success && failed === 0 ? 0 : 1);
