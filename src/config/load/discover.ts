/**
 * Finds integration files: every `*.yaml`/`*.yml` below each folder, following symbolic
 * links, skipping hidden names (Kubernetes `..data`, editor swap files) and backups.
 * Loops and unreadable entries become problems; discovery never throws or hangs.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { coerceError } from "../../errors.js";
import { isIgnoredName, isYamlName, namedFile, passedOver } from "./file-names.js";
import { compareText } from "../text.js";
import type { Problem } from "../types.js";

export { isIgnoredName };

export interface Discovery {
  files: string[];
  problems: Problem[];
  /**
   * Files `run` passes over, not listed: any named directly, and in a folder those likely
   * meant to be loaded (`.YAML`, `.json`); and folders that hold no integration file.
   */
  warnings: Problem[];
  /**
   * Real paths of the folders whose changes can change `files`: every folder walked,
   * and the folder each file reached through a symbolic link really lives in. A watch
   * of the given folders alone misses those that lie elsewhere (or under hidden names).
   */
  realFolders: string[];
}

const MAX_DEPTH = 64;

/** `foldersOnly`: each path must be a folder (the daemon's `--dir`), not a file. */
export async function discoverFiles(paths: string[], foldersOnly = false): Promise<Discovery> {
  // By real path, each under the first spelling met: `validate dir dir/a.yaml` (or
  // `./dir/a.yaml`, or `link-to-dir/a.yaml`) names one file twice, and it must not clash
  // with itself; as a folder reached twice is walked once.
  const files = new Map<string, string>();
  const addFile = (path: string, real: string) => {
    if (!files.has(real)) files.set(real, path);
  };
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const visited = new Set<string>();
  const linkedFileFolders = new Set<string>();
  const problem = (file: string, message: string) =>
    problems.push({ file, line: 1, column: 1, message });
  const warning = (file: string, message: string) =>
    warnings.push({ file, line: 1, column: 1, message });

  const walk = async (dir: string, ancestors: string[]): Promise<void> => {
    const real = await realpath(dir);
    if (ancestors.includes(real))
      return void problem(dir, "symbolic link loop: this folder contains itself; skipped");
    if (visited.has(real)) return; // reached through another link: its files are already listed
    if (ancestors.length >= MAX_DEPTH)
      return void problem(dir, `folders nested deeper than ${MAX_DEPTH} levels; skipped`);
    visited.add(real);
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => compareText(a.name, b.name))) {
      if (isIgnoredName(entry.name)) continue;
      const path = join(dir, entry.name);
      // Only links pay for a real-path lookup: a plain file lives in the folder walked.
      const { kind, real: target } = entry.isSymbolicLink()
        ? await followLink(path, problem)
        : { kind: kindOf(entry), real: undefined };
      if (kind === "dir") await walkSafely(path, [...ancestors, real]);
      else if (kind === "file" && isYamlName(entry.name)) {
        addFile(path, target ?? join(real, entry.name));
        if (target !== undefined) linkedFileFolders.add(dirname(target));
      } else if (kind === "file") {
        const why = passedOver(entry.name);
        if (why) warning(path, why);
      }
    }
  };
  const walkSafely = async (dir: string, ancestors: string[]) => {
    try {
      await walk(dir, ancestors);
    } catch (err) {
      problem(dir, `folder cannot be read (${errorCode(err)})`);
    }
  };

  for (const path of paths) {
    try {
      const info = await stat(path).catch((err: unknown) => coerceError(err));
      if (!(info instanceof Error) && info.isDirectory()) {
        const [filesBefore, problemsBefore] = [files.size, problems.length];
        await walkSafely(path, []);
        // A mistyped or emptied folder would otherwise pass a CI check as "all valid".
        const nothing = files.size === filesBefore && problems.length === problemsBefore;
        if (nothing) warning(path, NO_FILES);
        continue;
      }
      if (foldersOnly) {
        problem(path, info instanceof Error ? describeMissing(info) : "not a folder");
        continue;
      }
      const named = namedFile(basename(path));
      if (named.warning) warning(path, named.warning);
      // A leftover is not read, even one that leads nowhere (an editor's lock file).
      if (!named.check) continue;
      if (info instanceof Error) throw info;
      addFile(path, await realpath(path));
    } catch (err) {
      problem(path, describeMissing(err));
    }
  }
  return {
    files: [...files.values()].sort(compareText),
    problems,
    warnings,
    realFolders: [...new Set([...visited, ...linkedFileFolders])].sort(compareText),
  };
}

const NO_FILES =
  "no integration files here: run loads the *.yaml and *.yml files of this folder and of the folders in it";

type Kind = "file" | "dir" | "other";

function kindOf(entry: { isFile(): boolean; isDirectory(): boolean }): Kind {
  return entry.isDirectory() ? "dir" : entry.isFile() ? "file" : "other";
}

/** What a symbolic link leads to, and its real path when it leads somewhere. */
async function followLink(
  path: string,
  problem: (file: string, message: string) => void,
): Promise<{ kind: Kind; real?: string }> {
  try {
    // realpath fails the way stat does on a loop (ELOOP) or a broken link (ENOENT).
    const real = await realpath(path);
    return { kind: kindOf(await stat(real)), real };
  } catch (err) {
    const code = errorCode(err);
    if (code === "ELOOP") problem(path, "symbolic link loop; skipped");
    else if (code === "ENOENT")
      problem(path, "broken symbolic link: its target does not exist; skipped");
    else problem(path, `symbolic link cannot be followed (${code}); skipped`);
    return { kind: "other" };
  }
}

function describeMissing(err: unknown): string {
  const code = errorCode(err);
  return code === "ENOENT" ? "no such file or folder" : `cannot be read (${code})`;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}
