/**
 * Whether the integrations folder is there at all. A missing folder is not an empty
 * configuration: a replica started on a mistyped path would otherwise consume its share
 * of the events and, with no integration to match, acknowledge them undelivered.
 */
import { realpath, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../logger.js";

/** Why `dir` is not a folder to read now, or undefined when it is one (links followed). */
export async function folderProblem(dir: string): Promise<string | undefined> {
  try {
    return (await stat(dir)).isDirectory() ? undefined : `${dir} is not a folder`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return code === "ENOENT" ? `${dir} does not exist` : `${dir} cannot be read (${code})`;
  }
}

/**
 * Where `dir` leads now, links resolved: git-sync's `.worktrees/<commit>` or a ConfigMap's
 * `..2026_…` folder shows which copy is read. The path as given when it cannot be resolved.
 */
export async function realFolder(dir: string): Promise<string> {
  return realpath(dir).catch(() => dir);
}

export interface FolderWait {
  log: Logger;
  /** Ends the wait early (shutdown). */
  stopped: () => boolean;
  pollMs?: number;
  /** How often the wait says again that it is waiting. */
  remindMs?: number;
}

/** Waits until `dir` is a folder; false when stopped first. */
export async function waitForFolder(dir: string, wait: FolderWait): Promise<boolean> {
  const { log, stopped, pollMs = 500, remindMs = 10_000 } = wait;
  let remindAt = 0;
  for (;;) {
    if (stopped()) return false;
    const problem = await folderProblem(dir);
    if (problem === undefined) return true;
    if (Date.now() >= remindAt) {
      log.warn(
        `${problem}: no events are consumed until the integrations folder is there (check --dir)`,
      );
      remindAt = Date.now() + remindMs;
    }
    await sleep(pollMs);
  }
}
