/**
 * The file watches behind the config watcher. Their events are only hints: each one
 * pokes the caller, which rescans the folder after a quiet period.
 */
import { watch as watchDir, type FSWatcher as DirWatcher } from "node:fs";
import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { coerceError } from "../../errors.js";

export interface FolderWatches {
  /** Re-aims the watches of the folder and of the links on its path; before each scan. */
  follow(): Promise<void>;
  /**
   * Watches the scan's real folders that the folder's own watch does not reach (link
   * targets elsewhere or under hidden names) and stops watching ones no longer listed;
   * after each scan. Returns whether a folder is newly watched: a change made there
   * before its watch existed is only seen by another scan. Links further along a chain
   * outside (a link to `/x/current/d` where `current` is swapped) are not watched; the
   * periodic resync applies their swaps.
   */
  followRealFolders(realFolders: readonly string[]): boolean;
  close(): Promise<void>;
}

/**
 * The folder's real path is watched recursively, without following symlinks (so a
 * swapped link is seen as a change of the link), and so is the parent of every symlink
 * on the way to the folder (so a git-sync style swap of the folder itself is seen).
 * Folders that links inside it lead to elsewhere get a watch of their own each.
 */
export function createFolderWatches(
  dir: string,
  poke: () => void,
  onError: (e: Error) => void,
): FolderWatches {
  let tree: { real: string; watcher: FSWatcher } | undefined;
  let parents = new Map<string, DirWatcher>();
  let linked = new Map<string, DirWatcher>();

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

  /** One non-recursive watch per wanted folder: kept, opened or closed as needed. */
  function reaim(open: Map<string, DirWatcher>, wanted: Iterable<string>) {
    const next = new Map<string, DirWatcher>();
    for (const p of wanted) {
      const watcher = open.get(p) ?? watchFolder(p, poke, onError);
      // Not kept when it could not open: the next re-aim tries again.
      if (watcher) next.set(p, watcher);
    }
    for (const [p, w] of open) if (!next.has(p)) w.close();
    return next;
  }

  return {
    async follow() {
      const real = await realpath(dir).catch(() => undefined);
      parents = reaim(parents, await linkParents(dir));
      await followTree(real);
    },
    followRealFolders(realFolders) {
      const root = tree?.real;
      const before = linked;
      linked = reaim(
        linked,
        realFolders.filter((folder) => root === undefined || !treeReaches(root, folder)),
      );
      return [...linked.keys()].some((folder) => !before.has(folder));
    },
    async close() {
      parents = reaim(parents, []);
      linked = reaim(linked, []);
      await followTree(undefined);
    },
  };
}

/**
 * Any event pokes, whatever the name: a linked file's target may have any name, and an
 * editor's write-then-rename shows up under the temporary name too.
 */
function watchFolder(
  p: string,
  poke: () => void,
  onError: (e: Error) => void,
): DirWatcher | undefined {
  try {
    return watchDir(p, { persistent: false }, poke).on("error", onError);
  } catch (error) {
    // Gone since the scan that listed it: the next scan sees that, and tries again.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      poke();
      return undefined;
    }
    // Out of watches, say: reported once (the caller then rescans on a timer), not per scan.
    onError(coerceError(error));
    return { close() {} } as DirWatcher;
  }
}

/**
 * Whether the tree watch of real path `root` sees changes in `folder`: it must lie
 * below `root` and below no hidden name, which the tree watch ignores. A path outside
 * `root` starts with `..`, so one check of the names covers both.
 */
function treeReaches(root: string, folder: string): boolean {
  const rel = path.relative(root, folder);
  return !path.isAbsolute(rel) && !rel.split(path.sep).some((name) => name.startsWith("."));
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
