/**
 * A config watcher started on a folder for a test, with what it made and logged, and
 * the small readers the watcher tests share.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, expect } from "vitest";
import type { ConfigState, GenerationSummary } from "../../src/config/watch/generation.js";
import type { LoadOptions } from "../../src/config/load/load.js";
import { createConfigWatcher, type ConfigWatcher } from "../../src/config/watch/watch.js";
import { capturingLogger } from "./logs.js";
import { sleep, waitFor } from "./wait.js";

/**
 * Cleanups run after each test of the file, the last added first (a watcher before its
 * folder); `later(layout)` removes a layout then.
 */
export function useCleanups() {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const later = <T extends { cleanup(): void }>(layout: T): T => {
    cleanups.push(() => layout.cleanup());
    return layout;
  };
  return { cleanups, later };
}

export interface Seen {
  state: ConfigState;
  summary: GenerationSummary;
  at: number;
}

export interface Watching {
  watcher: ConfigWatcher;
  seen: Seen[];
  /** States handed over for files rewritten with nothing in force changed (no generation). */
  rewritten: ConfigState[];
  logs: Array<{ level: string; msg: string } & Record<string, unknown>>;
  /** Waits for generation `n` and returns it. */
  generation(n: number, timeoutMs?: number): Promise<Seen>;
}

export interface Timing {
  debounceMs?: number;
  resyncIntervalMs?: number;
}

/** Starts a watcher on `dir`; `cleanups` gets what closes it. */
export async function startWatching(
  dir: string,
  cleanups: Array<() => unknown>,
  { debounceMs, resyncIntervalMs }: Timing = {},
  load: LoadOptions = { secrets: "keep" },
): Promise<Watching> {
  const seen: Seen[] = [];
  const rewritten: ConfigState[] = [];
  const { log, lines } = capturingLogger("debug");
  const logs = lines as Watching["logs"];
  const watcher = createConfigWatcher({
    dir,
    load,
    debounceMs,
    resyncIntervalMs,
    log,
    onGeneration: (state, summary) => seen.push({ state, summary, at: Date.now() }),
    onRewritten: (state) => rewritten.push(state),
  });
  cleanups.push(() => watcher.close());
  await watcher.start();
  const generation = (n: number, timeoutMs = 3_000) =>
    waitFor(() => seen.find((s) => s.state.generation === n), {
      timeoutMs,
      what: `config generation ${n}`,
    });
  return { watcher, seen, rewritten, logs, generation };
}

/** Writes `file`, then waits for generation `n`, which must come within 2 s of the write. */
export async function writeAndAwait(w: Watching, file: string, yaml: string, n: number) {
  const wroteAt = Date.now();
  fs.writeFileSync(file, yaml);
  const next = await w.generation(n);
  expect(next.at - wroteAt).toBeLessThan(2_000);
  return next;
}

/** Served integrations: name -> "file.yaml url". */
export const serving = (state: ConfigState) =>
  Object.fromEntries(
    state.integrations.map((i) => [i.name, `${path.basename(i.source.file)} ${i.webhook.url}`]),
  );

export const counts = ({ added, changed, removed, invalid }: GenerationSummary) => ({
  added,
  changed,
  removed,
  invalid,
});

export const v = (n: number) => ({ webhook: { url: `http://127.0.0.1:9/v${n}` } });
export const URL_1 = "http://127.0.0.1:9/hook";
export const url = (n: number) => `http://127.0.0.1:9/v${n}`;

/** Lets late events arrive, so a test can assert that nothing more happened. */
export const settle = () => sleep(700);
