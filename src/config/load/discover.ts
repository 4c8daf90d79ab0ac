/**
 * Finds integration files: every `*.yaml`/`*.yml` below each folder, following symbolic
 * links, skipping hidden names (Kubernetes `..data`, editor swap files) and backups.
 * Loops and unreadable entries become problems; discovery never throws or hangs.
 */
import { isUtf8 } from "node:buffer";
import type { Stats } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { coerceError } from "../../errors.js";
import { isIgnoredName, isYamlName, namedFile, passedOver } from "./file-names.js";
import { compareText } from "../text.js";
import { whyUnreadable } from "../../regular-file.js";
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
  const discovery = new FileDiscovery(foldersOnly);
  for (const path of paths) await discovery.take(path);
  return discovery.found();
}

/** What discovery has found so far, and the walks that find more. */
class FileDiscovery {
  readonly #foldersOnly: boolean;
  // By real path, each under the first spelling met: `validate dir dir/a.yaml` (or
  // `./dir/a.yaml`, or `link-to-dir/a.yaml`) names one file twice, and it must not clash
  // with itself; as a folder reached twice is walked once.
  readonly #files = new Map<string, string>();
  readonly #problems: Problem[] = [];
  readonly #warnings: Problem[] = [];
  readonly #visited = new Set<string>();
  readonly #linkedFileFolders = new Set<string>();
  // Files and problems met, each time it is met (a file reached twice counts twice), and
  // how many each folder walked met below it: `validate dir dir/sub` walks dir/sub once,
  // and its files must not make it read as empty the second time it is named.
  #met = 0;
  readonly #metBelow = new Map<string, number>();

  constructor(foldersOnly: boolean) {
    this.#foldersOnly = foldersOnly;
  }

  /** Takes in one path as given: a folder to walk, or a file named directly. */
  async take(path: string): Promise<void> {
    try {
      const info = await stat(path).catch((err: unknown) => coerceError(err));
      if (!(info instanceof Error) && info.isDirectory()) return await this.#takeFolder(path);
      if (this.#foldersOnly) {
        return this.#problem(path, info instanceof Error ? describeMissing(info) : "not a folder");
      }
      await this.#takeNamedFile(path, info);
    } catch (err) {
      this.#problem(path, describeMissing(err));
    }
  }

  found(): Discovery {
    return {
      files: [...this.#files.values()].sort(compareText),
      problems: this.#problems,
      warnings: this.#warnings,
      realFolders: [...new Set([...this.#visited, ...this.#linkedFileFolders])].sort(compareText),
    };
  }

  async #takeFolder(path: string): Promise<void> {
    const metBefore = this.#met;
    await this.#walkSafely(path, []);
    // A mistyped or emptied folder would otherwise pass a CI check as "all valid".
    if (this.#met === metBefore) this.#warning(path, NO_FILES);
  }

  /** `info`: the path's stat, or why it failed. */
  async #takeNamedFile(path: string, info: Stats | Error): Promise<void> {
    const named = namedFile(basename(path));
    if (named.warning) this.#warning(path, named.warning);
    // A leftover is not read, even one that leads nowhere (an editor's lock file).
    if (!named.check) return;
    if (info instanceof Error) throw info;
    this.#addFile(path, await realpath(path));
  }

  async #walkSafely(dir: string, ancestors: string[]): Promise<void> {
    try {
      await this.#walk(dir, ancestors);
    } catch (err) {
      this.#problem(dir, `folder cannot be read (${whyUnreadable(err)})`);
    }
  }

  async #walk(dir: string, ancestors: string[]): Promise<void> {
    const real = await realpath(dir);
    if (ancestors.includes(real))
      return this.#problem(dir, "symbolic link loop: this folder contains itself; skipped");
    if (this.#visited.has(real)) {
      // Reached again (through a link, or named again): its files are already listed.
      this.#met += this.#metBelow.get(real) ?? 0;
      return;
    }
    if (ancestors.length >= MAX_DEPTH)
      return this.#problem(dir, `folders nested deeper than ${MAX_DEPTH} levels; skipped`);
    this.#visited.add(real);
    const metBefore = this.#met;
    await this.#walkEntries(dir, real, ancestors);
    this.#metBelow.set(real, this.#met - metBefore);
  }

  async #walkEntries(dir: string, real: string, ancestors: string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    const undecodable = await undecodableNames(dir, entries);
    for (const entry of entries.sort((a, b) => compareText(a.name, b.name))) {
      if (isIgnoredName(entry.name)) continue;
      const path = join(dir, entry.name);
      if (undecodable.has(entry.name)) {
        if (entry.isDirectory() || isYamlName(entry.name)) this.#problem(path, NOT_UTF8);
        continue;
      }
      // Only links pay for a real-path lookup: a plain file lives in the folder walked.
      const { kind, real: target } = entry.isSymbolicLink()
        ? await followLink(path, (file, message) => this.#problem(file, message))
        : { kind: kindOf(entry), real: undefined };
      if (kind === "dir") await this.#walkSafely(path, [...ancestors, real]);
      else if (kind === "file") this.#takeFoundFile(path, entry.name, real, target);
      else if (kind === "other" && isYamlName(entry.name)) this.#warning(path, NOT_REGULAR);
    }
  }

  /**
   * A file met in the folder walked whose real path is `folder`; `target`: the file's real
   * path when it is reached through a link.
   */
  #takeFoundFile(path: string, name: string, folder: string, target: string | undefined): void {
    if (isYamlName(name)) {
      this.#addFile(path, target ?? join(folder, name));
      if (target !== undefined) this.#linkedFileFolders.add(dirname(target));
    } else {
      const why = passedOver(name);
      if (why) this.#warning(path, why);
    }
  }

  #addFile(path: string, real: string): void {
    this.#met += 1;
    if (!this.#files.has(real)) this.#files.set(real, path);
  }

  #problem(file: string, message: string): void {
    this.#met += 1;
    this.#problems.push({ file, line: 1, column: 1, message });
  }

  #warning(file: string, message: string): void {
    this.#warnings.push({ file, line: 1, column: 1, message });
  }
}

const NO_FILES =
  "no integration files here: run loads the *.yaml and *.yml files of this folder and of the folders in it";

/** Not read, as reading a pipe or a device could wait or never end; a warning, as for a name. */
const NOT_REGULAR =
  "not a regular file (a pipe, a socket or a device), so run passes over it: integration files must be regular files";

const NOT_UTF8 =
  "name is not UTF-8 text (shown with \uFFFD for each byte that is not), so it cannot be opened: rename it";

/**
 * Names whose bytes are not UTF-8: Node.js gives them with U+FFFD in place of those bytes,
 * a name that opens nothing. Read again as bytes only when a name holds U+FFFD.
 */
async function undecodableNames(dir: string, entries: { name: string }[]): Promise<Set<string>> {
  if (!entries.some((e) => e.name.includes("\uFFFD"))) return new Set();
  const raw = await readdir(dir, { encoding: "buffer" });
  return new Set(raw.filter((name) => !isUtf8(name)).map((name) => name.toString()));
}

/** "unreachable": a link that leads nowhere, said as it was followed. */
type Kind = "file" | "dir" | "other" | "unreachable";

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
    else problem(path, `symbolic link cannot be followed (${whyUnreadable(err)}); skipped`);
    return { kind: "unreachable" };
  }
}

function describeMissing(err: unknown): string {
  const code = errorCode(err);
  return code === "ENOENT" ? "no such file or folder" : `cannot be read (${whyUnreadable(err)})`;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}
