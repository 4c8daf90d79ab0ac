import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // .ci/run names another file for its run of the suite on a second Node.js.
    reporters: [
      "default",
      ["json", { outputFile: process.env.TEST_REPORT_FILE ?? "reports/vitest.json" }],
    ],
  },
});
