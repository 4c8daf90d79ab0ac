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
import { createFolderWatches, type FolderWatches } from "./folder-watches.js";
import {
  nextGeneration,
  type ConfigState,
  type GenerationStep,
  type GenerationSummary,
  type LoadedFile,
} from "./generation.js";
import { report, reportRewritten, warnAboutNewContent, warnOfNew } from "./generation-log.js";
import type { LoadOptions } from "../load/load.js";
import { createRemovalHold, type RemovalHold } from "./removal-hold.js";
import { createDebouncer, createScanQueue } from "./scan-queue.js";
import { watchFailureHandler } from "./watch-failures.js";
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

type FolderReader = ReturnType<typeof createFolderReader>;
type ScanQueue = ReturnType<typeof createScanQueue>;
type Debouncer = ReturnType<typeof createDebouncer>;

export function createConfigWatcher(options: ConfigWatcherOptions): ConfigWatcher {
  return new FolderConfigWatcher(options);
}

class FolderConfigWatcher implements ConfigWatcher {
  readonly #options: ConfigWatcherOptions;
  readonly #log: Logger;
  readonly #reader: FolderReader;
  readonly #queue: ScanQueue;
  readonly #hints: Debouncer;
  readonly #removals: RemovalHold;
  readonly #watches: FolderWatches;
  readonly #onWatchError: (error: Error) => void;
  #state: ConfigState | undefined;
  #timers: NodeJS.Timeout[] = [];
  #recheck: NodeJS.Timeout | undefined;
  // The message of the folder's problem while it is gone.
  #folderGone: string | undefined;
  // The warnings logged at the last scan, so that each is logged once.
  #passedOver = new Set<string>();

  constructor(options: ConfigWatcherOptions) {
    const { dir, log } = options;
    const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    const maxWaitMs = Math.max(debounceMs, MAX_WAIT_MS);
    this.#options = options;
    this.#log = log;
    // The problem names the failure; its stack, for a bug report, only here.
    this.#reader = createFolderReader(dir, options.load, ({ file, internalError }) =>
      log.debug({ file, stack: internalError }, "loading an integration file failed: a bug"),
    );
    this.#queue = createScanQueue((depth) => this.#scan(depth), log);
    this.#hints = createDebouncer(debounceMs, maxWaitMs, () => {
      void this.#queue.request("changed");
    });
    this.#removals = createRemovalHold({
      quietMs: Math.max(debounceMs, REMOVAL_QUIET_MS),
      boundMs: REMOVAL_BOUND_MS,
      maxWaitMs,
    });
    this.#onWatchError = watchFailureHandler(dir, log, (ms) => this.#repeat(ms, "changed"));
    this.#watches = createFolderWatches(dir, () => this.#onEvent(), this.#onWatchError);
  }

  current(): ConfigState {
    if (!this.#state) throw new Error("the configuration is not loaded yet: call start() first");
    return this.#state;
  }

  async start(): Promise<ConfigState> {
    const error = await this.#queue.request("full");
    if (error) throw error;
    this.#repeat(this.#options.resyncIntervalMs ?? DEFAULT_RESYNC_MS, "referenced");
    return this.current();
  }

  async resync(): Promise<void> {
    await this.#queue.request("full");
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    clearTimeout(this.#recheck);
    this.#hints.cancel();
    await this.#queue.close();
    await this.#watches.close();
  }

  #onEvent(): void {
    this.#removals.event(Date.now());
    this.#hints.poke();
  }

  async #scan(depth: ScanDepth): Promise<void> {
    const startedAt = Date.now();
    await this.#watches.follow().catch((error) => this.#onWatchError(coerceError(error)));
    // Resolved at each scan, not at start: a swapped link (git-sync, ConfigMap) leads
    // elsewhere, and the generation made of this scan is said to come from there.
    const folder = await realFolder(this.#options.dir);
    const scan = await this.#reader.scan(depth);
    this.#passedOver = warnOfNew(this.#log, scan.warnings, this.#passedOver);
    if (await this.#folderIsGone(scan.problems)) return;
    // A folder watched only from now on may have changed since discovery read it.
    if (this.#watches.followRealFolders(scan.realFolders)) this.#hints.poke();
    const files = this.#holdRemovals(scan.files, startedAt, depth);
    if (files === undefined) return;
    const step = nextGeneration(
      this.#state,
      { ...scan, files, root: this.#options.dir },
      new Date(),
    );
    if (!step.changed && step.rewritten.length === 0) {
      this.#log.debug({ depth }, "integrations folder rescanned: nothing changed");
      return;
    }
    this.#adopt(step, folder);
  }

  /**
   * A folder that vanished (a volume unmounted, a path swapped away) is not an empty
   * configuration: the integrations keep running until it is back. Judged from the
   * scan itself, so that it cannot vanish between a check and the scan.
   */
  async #folderIsGone(problems: readonly Problem[]): Promise<boolean> {
    const gone = this.#state ? problems.find((p) => p.file === this.#options.dir) : undefined;
    if (gone && gone.message !== this.#folderGone) await this.#warnFolderGone(gone);
    if (!gone && this.#folderGone !== undefined) {
      this.#log.info(`${this.#options.dir}: the integrations folder is back`);
      this.#notifyFolderGone(undefined);
    }
    this.#folderGone = gone?.message;
    return gone !== undefined;
  }

  async #warnFolderGone(gone: Problem): Promise<void> {
    const { dir } = this.#options;
    // Worded as at start ("… does not exist"), unless it is back already.
    const why = (await folderProblem(dir)) ?? `${dir}: ${gone.message}`;
    const generation = this.#state?.generation;
    this.#log.warn(`${why}: keeping configuration generation ${generation} until it is back`);
    const message = `the integrations folder is gone (${gone.message}): configuration generation ${generation} keeps running until it is back`;
    this.#notifyFolderGone({ ...gone, message });
  }

  #notifyFolderGone(problem: Problem | undefined): void {
    try {
      this.#options.onFolderGone?.(problem);
    } catch (error) {
      this.#log.error(
        { err: coerceError(error) },
        "reporting the integrations folder's state failed",
      );
    }
  }

  /** The files to make a generation of, or undefined when a held removal defers it. */
  #holdRemovals(
    files: LoadedFile[],
    startedAt: number,
    depth: ScanDepth,
  ): LoadedFile[] | undefined {
    const held = this.#removals.apply(this.#state, files, startedAt, depth === "full");
    this.#scheduleRecheck(held.recheckAt);
    if (held.held.length > 0) {
      this.#log.debug(
        { files: held.held },
        "removal waits for the integrations folder to be quiet",
      );
      if (held.defer) return undefined;
    }
    return held.files;
  }

  #scheduleRecheck(at: number | undefined): void {
    clearTimeout(this.#recheck);
    this.#recheck = undefined;
    if (at === undefined) return;
    const ms = Math.max(0, at - Date.now()) + 1;
    this.#recheck = setTimeout(() => void this.#queue.request("changed"), ms).unref();
  }

  /**
   * Takes in the step's state and hands it over. Rewritten files are compared with from
   * now on, but make no generation: what runs and what is reported are the same.
   */
  #adopt(step: GenerationStep, folder: string): void {
    const before = this.#state;
    const state: ConfigState = { ...step.state, folder };
    this.#state = state;
    if (step.changed) report(this.#log, step, before, folder);
    else reportRewritten(this.#log, step, folder);
    warnAboutNewContent(this.#log, before, state);
    try {
      if (step.changed) this.#options.onGeneration(state, step.summary);
      else this.#options.onRewritten?.(state);
    } catch (error) {
      this.#log.error({ err: coerceError(error) }, "applying a configuration generation failed");
    }
  }

  #repeat(ms: number, depth: ScanDepth): void {
    this.#timers.push(setInterval(() => void this.#queue.request(depth), ms).unref());
  }
}
