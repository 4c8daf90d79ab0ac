/**
 * When the config watcher scans: one scan at a time, requests merged while one runs, and
 * file-system events debounced into a scan once they pause.
 */
import { coerceError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { ScanDepth } from "./folder-reader.js";

/** Depths in order: a job asked for at several depths is run at the deepest. */
const DEPTHS: readonly ScanDepth[] = ["changed", "referenced", "full"];

/**
 * Runs one scan at a time. Requests made during a scan are merged into one scan that
 * runs right after it; each request resolves with that scan's error, if any.
 */
export function createScanQueue(scan: (depth: ScanDepth) => Promise<void>, log: Logger) {
  type Job = { depth: ScanDepth; waiters: Array<(error: Error | undefined) => void> };
  let pending: Job | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  async function drain(): Promise<void> {
    while (pending && !closed) {
      const job = pending;
      pending = undefined;
      let failure: Error | undefined;
      try {
        await scan(job.depth);
      } catch (error) {
        failure = coerceError(error);
        log.error({ err: failure }, "rescanning the integrations folder failed");
      }
      for (const done of job.waiters) done(failure);
    }
    running = undefined;
  }

  return {
    request(depth: ScanDepth): Promise<Error | undefined> {
      if (closed) return Promise.resolve(undefined);
      const job = (pending ??= { depth, waiters: [] });
      if (DEPTHS.indexOf(depth) > DEPTHS.indexOf(job.depth)) job.depth = depth;
      const result = new Promise<Error | undefined>((resolve) => job.waiters.push(resolve));
      running ??= drain();
      return result;
    },
    async close() {
      closed = true;
      await running;
      for (const done of pending?.waiters ?? []) done(undefined);
      pending = undefined;
    },
  };
}

/** Calls `fire` once events pause for `quietMs`, or at the latest `maxWaitMs` after the first. */
export function createDebouncer(quietMs: number, maxWaitMs: number, fire: () => void) {
  let timer: NodeJS.Timeout | undefined;
  let firstAt: number | undefined;
  return {
    poke: () => {
      const now = Date.now();
      firstAt ??= now;
      clearTimeout(timer);
      const wait = Math.max(0, Math.min(quietMs, firstAt + maxWaitMs - now));
      timer = setTimeout(() => {
        timer = undefined;
        firstAt = undefined;
        fire();
      }, wait);
    },
    cancel: () => {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
