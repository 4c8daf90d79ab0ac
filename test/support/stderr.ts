/**
 * What code under test writes to the process's stderr, kept from the test run's own output:
 * for the command parts that speak to the operator there rather than through a logger.
 */
import { afterEach, beforeEach, vi } from "vitest";

/** Captures stderr around each test of the file; returns what the current test wrote. */
export function useCapturedStderr(): () => string[] {
  let written: string[] = [];
  beforeEach(() => {
    written = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return () => written;
}
