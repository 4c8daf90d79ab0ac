/**
 * Keeps the configuration in step with the integrations folder. File-system events are
 * only hints: after a short quiet period the whole folder is rescanned, files whose
 * identity changed are read again, and a new generation is made when anything differs.
 * A periodic rescan catches whatever the events missed.
 */
import { coerceError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { folderProblem, realFolder } from "./folder-presence.js";
import { createFolderReader, type ScanDepth } from "./folder-reader.js";
import { createFolderWatches } from "./folder-watches.js";
import { nextGeneration, type ConfigState, type GenerationSummary } from "./generation.js";
import { report, reportRewritten, warnAboutNewContent, warnOfNew } from "./generation-log.js";
import type { LoadOptions } from "../load/load.js";
import { createRemovalHold } from "./removal-hold.js";
import { createDebouncer, createScanQueue } from "./scan-queue.js";
import type { Problem } from "../types.js";

export interface ConfigWatcherOptions {
  dir: string;
  load: LoadOptions;
  /** Quiet period after the last event before rescanning. */
  debounceMs?: number;
  /** Interval of the safety-net rescan. */
  resyncIntervalMs?: number;
  log: Logger;
  /** Called once per new generation, the first one included. */
  onGeneration: (state: ConfigState, summary: GenerationSummary) => void;
  /**
   * Called when files were rewritten with nothing in force changed: the same generation,
   * its files (and so its digest) anew, to take in place of the last one handed over.
   */
  onRewritten?: (state: ConfigState) => void;
  /**
   * Called when the folder vanishes while a generation runs (with why), and when it is
   * back (undefined), before that scan's generation if it makes one.
   */
  onFolderGone?: (problem: Problem | undefined) => void;
}

export interface ConfigWatcher {
  /** Loads every file (generation 1), then watches. Rejects if the folder cannot be scanned. */
  start(): Promise<ConfigState>;
  /** Rescans now and reads every file again, unchanged ones included (SIGHUP). */
  resync(): Promise<void>;
  current(): ConfigState;
  close(): Promise<void>;
}

const DEFAULT_DEBOUNCE_MS = 200;
const DEFAULT_RESYNC_MS = 60_000;
/** Events that never pause still get a rescan this often. */
const MAX_WAIT_MS = 1_000;
/** Rescan interval once the OS refuses more file watches. */
const FALLBACK_POLL_MS = 1_000;
/**
 * Quiet needed before a removal is applied (see removal-hold.ts): a file gone for up to
 * this long is taken as rewritten, not removed. A removal is still applied within a second,
 * the scan of a 10,000-file folder included (about 0.2 s).
 */
const REMOVAL_QUIET_MS = 600;
/**
 * A removal waits no longer than this for a folder that never stops changing, counted from
 * the first scan that misses the file (at most a second after it went): 5 s in all.
 */
const REMOVAL_BOUND_MS = 4_000;

export function createConfigWatcher(options: ConfigWatcherOptions): ConfigWatcher {
  const { log } = options;
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  // The problem names the failure; its stack, for a bug report, only here.
  const reader = createFolderReader(options.dir, options.load, ({ file, internalError }) =>
    log.debug({ file, stack: internalError }, "loading an integration file failed: a bug"),
  );
  const queue = createScanQueue(runScan, log);
  const hints = createDebouncer(debounceMs, Math.max(debounceMs, MAX_WAIT_MS), () => {
    void queue.request("changed");
  });
  const removals = createRemovalHold({
    quietMs: Math.max(debounceMs, REMOVAL_QUIET_MS),
    boundMs: REMOVAL_BOUND_MS,
    maxWaitMs: Math.max(debounceMs, MAX_WAIT_MS),
  });
  const onEvent = () => {
    removals.event(Date.now());
    hints.poke();
  };
  const watches = createFolderWatches(options.dir, onEvent, onWatchError);
  let state: ConfigState | undefined;
  let timers: NodeJS.Timeout[] = [];
  let recheck: NodeJS.Timeout | undefined;

  let folderGone: string | undefined;
  let passedOver = new Set<string>();
  async function runScan(depth: ScanDepth): Promise<void> {
    const startedAt = Date.now();
    await watches.follow().catch((error) => onWatchError(coerceError(error)));
    // Resolved at each scan, not at start: a swapped link (git-sync, ConfigMap) leads
    // elsewhere, and the generation made of this scan is said to come from there.
    const folder = await realFolder(options.dir);
    const scan = await reader.scan(depth);
    passedOver = warnOfNew(log, scan.warnings, passedOver);
    // A folder that vanished (a volume unmounted, a path swapped away) is not an empty
    // configuration: the integrations keep running until it is back. Judged from the
    // scan itself, so that it cannot vanish between a check and the scan.
    const gone = state ? scan.problems.find((p) => p.file === options.dir) : undefined;
    if (gone && gone.message !== folderGone) {
      // Worded as at start ("… does not exist"), unless it is back already.
      const why = (await folderProblem(options.dir)) ?? `${options.dir}: ${gone.message}`;
      log.warn(`${why}: keeping configuration generation ${state?.generation} until it is back`);
      const message = `the integrations folder is gone (${gone.message}): configuration generation ${state?.generation} keeps running until it is back`;
      notifyFolderGone({ ...gone, message });
    }
    if (!gone && folderGone !== undefined) notifyFolderGone(undefined);
    folderGone = gone?.message;
    if (gone) return;
    // A folder watched only from now on may have changed since discovery read it.
    if (watches.followRealFolders(scan.realFolders)) hints.poke();
    const held = removals.apply(state, scan.files, startedAt, depth === "full");
    scheduleRecheck(held.recheckAt);
    if (held.held.length > 0) {
      log.debug({ files: held.held }, "removal waits for the integrations folder to be quiet");
      if (held.defer) return;
    }
    const step = nextGeneration(
      state,
      { ...scan, files: held.files, root: options.dir },
      new Date(),
    );
    if (!step.changed && step.rewritten.length === 0) {
      log.debug({ depth }, "integrations folder rescanned: nothing changed");
      return;
    }
    // Rewritten files are compared with from now on, but make no generation: what runs and
    // what is reported are the same.
    const before = state;
    state = { ...step.state, folder };
    if (step.changed) report(log, step, before, folder);
    else reportRewritten(log, step, folder);
    warnAboutNewContent(log, before, state);
    try {
      if (step.changed) options.onGeneration(state, step.summary);
      else options.onRewritten?.(state);
    } catch (error) {
      log.error({ err: coerceError(error) }, "applying a configuration generation failed");
    }
  }

  function scheduleRecheck(at: number | undefined): void {
    clearTimeout(recheck);
    recheck = undefined;
    if (at === undefined) return;
    const ms = Math.max(0, at - Date.now()) + 1;
    recheck = setTimeout(() => void queue.request("changed"), ms).unref();
  }

  function notifyFolderGone(problem: Problem | undefined): void {
    try {
      options.onFolderGone?.(problem);
    } catch (error) {
      log.error({ err: coerceError(error) }, "reporting the integrations folder's state failed");
    }
  }

  function repeat(ms: number, depth: ScanDepth): void {
    timers.push(setInterval(() => void queue.request(depth), ms).unref());
  }

  let polling = false;
  const unwatchable = new Set<string>();
  function onWatchError(error: Error): void {
    const { code, path: where = options.dir } = error as NodeJS.ErrnoException;
    // A folder without rights is not fatal: the scans report it, its files keep their last
    // valid versions, and the other folders stay watched.
    if (code === "EACCES" || code === "EPERM") {
      if (!unwatchable.has(where)) {
        log.warn(
          { file: where },
          `${where} cannot be watched (${code}): changes in it are applied by the periodic resync once it can be read`,
        );
      }
      unwatchable.add(where);
      return;
    }
    log.error({ err: error }, "watching the integrations folder failed");
    if (polling || !["ENOSPC", "EMFILE", "ENFILE"].includes(code ?? "")) return;
    polling = true;
    log.warn(`file watches unavailable (${code}): rescanning every ${FALLBACK_POLL_MS} ms instead`);
    repeat(FALLBACK_POLL_MS, "changed");
  }

  const current = (): ConfigState => {
    if (!state) throw new Error("the configuration is not loaded yet: call start() first");
    return state;
  };

  return {
    current,
    async start() {
      const error = await queue.request("full");
      if (error) throw error;
      repeat(options.resyncIntervalMs ?? DEFAULT_RESYNC_MS, "referenced");
      return current();
    },
    async resync() {
      await queue.request("full");
    },
    async close() {
      for (const t of timers) clearInterval(t);
      timers = [];
      clearTimeout(recheck);
      hints.cancel();
      await queue.close();
      await watches.close();
    },
  };
}
