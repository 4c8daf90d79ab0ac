/**
 * Keeps the configuration in step with the integrations folder. File-system events are
 * only hints: after a short quiet period the whole folder is rescanned, files whose
 * identity changed are read again, and a new generation is made when anything differs.
 * A periodic rescan catches whatever the events missed.
 */
import { watch as watchDir, type FSWatcher as DirWatcher } from "node:fs";
import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { coerceError } from "../errors.js";
import type { Logger } from "../logger.js";
import { createFolderReader } from "./folder-reader.js";
import {
  nextGeneration,
  type ConfigState,
  type GenerationStep,
  type GenerationSummary,
} from "./generation.js";
import type { LoadOptions } from "./load.js";

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

export function createConfigWatcher(options: ConfigWatcherOptions): ConfigWatcher {
  const { log } = options;
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const reader = createFolderReader(options.dir, options.load);
  const queue = createScanQueue(runScan, log);
  const hints = createDebouncer(debounceMs, Math.max(debounceMs, MAX_WAIT_MS), () => {
    void queue.request(false);
  });
  const watches = createWatches(options.dir, hints.poke, onWatchError);
  let state: ConfigState | undefined;
  let timers: NodeJS.Timeout[] = [];

  async function runScan(full: boolean): Promise<void> {
    await watches.follow().catch((error) => onWatchError(coerceError(error)));
    const step = nextGeneration(state, await reader.scan(full), new Date());
    if (!step.changed) {
      log.debug({ full }, "integrations folder rescanned: nothing changed");
      return;
    }
    state = step.state;
    report(log, step);
    try {
      options.onGeneration(step.state, step.summary);
    } catch (error) {
      log.error({ err: coerceError(error) }, "applying a configuration generation failed");
    }
  }

  function repeat(ms: number): void {
    timers.push(setInterval(() => void queue.request(false), ms).unref());
  }

  let polling = false;
  function onWatchError(error: Error): void {
    log.error({ err: error }, "watching the integrations folder failed");
    const code = (error as NodeJS.ErrnoException).code;
    if (polling || !["ENOSPC", "EMFILE", "ENFILE"].includes(code ?? "")) return;
    polling = true;
    log.warn(`file watches unavailable (${code}): rescanning every ${FALLBACK_POLL_MS} ms instead`);
    repeat(FALLBACK_POLL_MS);
  }

  const current = (): ConfigState => {
    if (!state) throw new Error("the configuration is not loaded yet: call start() first");
    return state;
  };

  return {
    current,
    async start() {
      const error = await queue.request(true);
      if (error) throw error;
      repeat(options.resyncIntervalMs ?? DEFAULT_RESYNC_MS);
      return current();
    },
    async resync() {
      await queue.request(true);
    },
    async close() {
      for (const t of timers) clearInterval(t);
      timers = [];
      hints.cancel();
      await queue.close();
      await watches.close();
    },
  };
}

function report(log: Logger, { state, summary: s }: GenerationStep): void {
  log.info(
    {
      generation: s.generation,
      added: s.added,
      changed: s.changed,
      removed: s.removed,
      invalid: s.invalid,
    },
    `config generation ${s.generation}: ${s.added} added, ${s.changed} changed, ` +
      `${s.removed} removed, ${s.invalid} invalid`,
  );
  for (const p of state.problems) {
    log.warn(
      { file: p.file, line: p.line, column: p.column },
      `${p.file}:${p.line}:${p.column}: ${p.message}`,
    );
  }
}

/**
 * Runs one scan at a time. Requests made during a scan are merged into one scan that
 * runs right after it; each request resolves with that scan's error, if any.
 */
function createScanQueue(scan: (full: boolean) => Promise<void>, log: Logger) {
  type Job = { full: boolean; waiters: Array<(error: Error | undefined) => void> };
  let pending: Job | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  async function drain(): Promise<void> {
    while (pending && !closed) {
      const job = pending;
      pending = undefined;
      let failure: Error | undefined;
      try {
        await scan(job.full);
      } catch (error) {
        failure = coerceError(error);
        log.error({ err: failure }, "rescanning the integrations folder failed");
      }
      for (const done of job.waiters) done(failure);
    }
    running = undefined;
  }

  return {
    request(full: boolean): Promise<Error | undefined> {
      if (closed) return Promise.resolve(undefined);
      const job = (pending ??= { full: false, waiters: [] });
      job.full ||= full;
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
function createDebouncer(quietMs: number, maxWaitMs: number, fire: () => void) {
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

/**
 * The file watches: the folder's real path, recursively, without following symlinks
 * (so a swapped link is seen as a change of the link), plus the parent of every
 * symlink on the way to the folder (so a git-sync style swap of the folder itself is
 * seen). `follow` re-aims them when a swap has moved the folder's real path.
 */
function createWatches(dir: string, poke: () => void, onError: (e: Error) => void) {
  let tree: { real: string; watcher: FSWatcher } | undefined;
  let parents = new Map<string, DirWatcher>();

  async function followTree(real: string | undefined): Promise<void> {
    if (tree?.real === real) return;
    await tree?.watcher.close();
    tree = undefined;
    if (real === undefined) return;
    // Folders only (and links): a folder's watch reports every change to the entries in
    // it, and events are only hints for a rescan. A watch per file would cost a handle and
    // several objects for each of thousands of files, and seconds at start.
    const watcher = watch(real, {
      ignoreInitial: true,
      followSymlinks: false,
      ignored: (p, st) => p !== real && (isIgnored(p, st) || !!st?.isFile()),
    });
    watcher
      .on("all", poke)
      // Files never reach "all": the folders' raw events carry them (and ConfigMap's
      // `..data` swaps).
      .on("raw", poke)
      .on("error", (e) => onError(coerceError(e)));
    tree = { real, watcher };
    await new Promise<void>((resolve) => watcher.once("ready", resolve));
  }

  function followParents(wanted: string[]): void {
    for (const [p, w] of parents) if (!wanted.includes(p)) w.close();
    parents = new Map(
      wanted.map((p) => [p, parents.get(p) ?? watchParent(p, poke, onError)] as const),
    );
  }

  return {
    async follow() {
      const real = await realpath(dir).catch(() => undefined);
      followParents(await linkParents(dir));
      await followTree(real);
    },
    async close() {
      followParents([]);
      await followTree(undefined);
    },
  };
}

function watchParent(p: string, poke: () => void, onError: (e: Error) => void): DirWatcher {
  try {
    return watchDir(p, { persistent: false }, poke).on("error", onError);
  } catch (error) {
    onError(coerceError(error));
    return { close() {} } as DirWatcher;
  }
}

/** Folders holding a symlink on the path to `dir`, or the last folder that exists. */
async function linkParents(dir: string): Promise<string[]> {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  const found: string[] = [];
  let current = path.parse(path.resolve(dir)).root;
  for (const part of parts) {
    const next = path.join(current, part);
    const st = await lstat(next).catch(() => undefined);
    if (!st) return [...found, current];
    if (st.isSymbolicLink()) found.push(current);
    current = next;
  }
  return [...new Set(found)];
}

/** Hidden names (`..data`, swap files) and files that are not YAML never matter. */
function isIgnored(p: string, st?: { isFile(): boolean }): boolean {
  const name = path.basename(p);
  return name.startsWith(".") || (!!st?.isFile() && !/\.ya?ml$/i.test(name));
}
