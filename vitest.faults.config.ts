import { defineConfig } from "vitest/config";

/**
 * The fault-injection suite: real daemons, real nats-servers (one and three nodes), hostile
 * receivers. Heavy and slow, so not part of `npm test`; run with `npm run test:faults`.
 * One file at a time: the scenarios measure memory and lag, and share two cores.
 */
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/faults/**/*.fault.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ["default", ["json", { outputFile: "reports/faults.json" }]],
  },
});
