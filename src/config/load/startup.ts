/**
 * The daemon's first step: wait for the integrations folder, load it, and keep watching it.
 * With `--strict`, a missing folder or a first load with problems fails the start instead.
 */
import { ConfigError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { folderProblem, waitForFolder } from "../watch/folder-presence.js";
import { countProblems } from "./load-file.js";
import { plural } from "../text.js";
import type { ConfigState } from "../watch/generation.js";
import type { SecretPolicy } from "../secret-policy.js";
import type { Problem } from "../types.js";
import { createConfigWatcher, type ConfigWatcher } from "../watch/watch.js";
import { invalidFileStandings } from "../watch/invalid-files.js";

export interface ConfigStartup {
  dir: string;
  strict: boolean;
  resyncIntervalMs: number;
  secretPolicy?: SecretPolicy;
  log: Logger;
  /** True once a stop has come: the wait for the folder ends. */
  stopped: () => boolean;
  /** Why the folder cannot be read, while the start waits for it; undefined once it can. */
  onFolderProblem(problem: string | undefined): void;
  /** Each generation, the first one included. */
  onGeneration(state: ConfigState): void;
  /** Files rewritten with nothing in force changed: the generation with their new digest. */
  onRewritten(state: ConfigState): void;
  /** The folder vanished while a generation runs (with why), or is back (undefined). */
  onFolderGone(problem: Problem | undefined): void;
}

/** The watcher, its first generation applied; undefined when a stop came first. */
export async function startConfiguration(
  startup: ConfigStartup,
): Promise<ConfigWatcher | undefined> {
  if (!(await folderThere(startup))) return undefined;
  const { dir, log, secretPolicy } = startup;
  const watcher = createConfigWatcher({
    dir,
    load: { secrets: "resolve", ...(secretPolicy ? { secretPolicy } : {}) },
    resyncIntervalMs: startup.resyncIntervalMs,
    log,
    onGeneration: (state) => startup.onGeneration(state),
    onRewritten: (state) => startup.onRewritten(state),
    onFolderGone: (problem) => startup.onFolderGone(problem),
  });
  const first = await watcher.start().catch(async (error: unknown) => {
    // Its first scan may have opened watches already: nothing else would close them.
    await watcher.close();
    throw error;
  });
  if (first.problems.length === 0) return watcher;
  if (startup.strict) {
    await watcher.close();
    throw new ConfigError(
      `${countProblems(first.problems)} problem(s) in ${dir} and --strict is set: fix them or drop --strict`,
    );
  }
  const leftOut = leftOutAtStart(first);
  if (leftOut.files.length > 0) log.warn(leftOut, leftOutMessage(leftOut));
  return watcher;
}

/**
 * The files an invalid first load left out, and every integration their documents name that
 * does not run, valid documents' included (not a name running from another file: a
 * duplicate's name is taken by its first file).
 */
function leftOutAtStart(state: ConfigState) {
  const standings = invalidFileStandings(state);
  const holdsBack = (p: Problem) =>
    p.integration === undefined || (standings.get(p.file)?.notRunning.length ?? 0) > 0;
  const files = [...new Set(state.problems.filter(holdsBack).map((p) => p.file))].sort();
  const named = files.flatMap((file) => standings.get(file)?.notRunning ?? []);
  const integrations = [...new Set(named)].sort();
  return { files, integrations };
}

/**
 * A file invalid at start has no last valid version: unlike a file that breaks later, its
 * integrations do not run here, and the events this replica takes for them are acknowledged
 * unsent, while other replicas that loaded them before still deliver theirs. Said once, at
 * warn, with what to do: the status page and the alert say the file is invalid, not this.
 */
function leftOutMessage({ files, integrations }: ReturnType<typeof leftOutAtStart>): string {
  const named = integrations.length > 0 ? ` (${integrations.join(", ")})` : "";
  return (
    `${plural(files.length, "invalid file")} at start, with no last valid version to keep: ` +
    `their integrations${named} do not run on this replica, and the events it takes for ` +
    `them are not delivered. Fix the files (hookswitch validate); with several replicas, ` +
    `run with --strict (HOOKSWITCH_STRICT) so that a replica refuses to start instead`
  );
}

/** False when a stop came first; with --strict a missing folder fails the start. */
async function folderThere(startup: ConfigStartup): Promise<boolean> {
  const { dir, log, stopped } = startup;
  const problem = await folderProblem(dir);
  if (!problem) return true;
  startup.onFolderProblem(problem);
  if (startup.strict) {
    throw new ConfigError(`${problem} and --strict is set: fix --dir or drop --strict`);
  }
  const there = await waitForFolder(dir, { log, stopped });
  startup.onFolderProblem(undefined);
  return there;
}
