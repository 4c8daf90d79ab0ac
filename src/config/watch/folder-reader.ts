/**
 * Reads the integrations folder again and again, re-reading the files whose identity on disk
 * changed since the last scan, and more as a scan's depth asks (`ScanDepth`: the files that
 * reference secrets, or all of them).
 */
import { lstatSync, realpathSync, statSync } from "node:fs";
import { setImmediate as nextTurn } from "node:timers/promises";
import { discoverFiles, type Discovery } from "../load/discover.js";
import { loadFiles, type FileResult, type LoadOptions } from "../load/load.js";

/**
 * Files whose identity is taken per event-loop turn. Synchronous stats are several
 * times cheaper than promises (10,000 files: about 40 ms against 150 ms and much
 * garbage), and a few hundred at a time keep each turn to a millisecond or two.
 */
const SIGNATURES_PER_TURN = 500;

/**
 * How many changed files it takes for a scan after the first to load them in threads. A
 * thread started for a scan spends 0.6–1 s before its first file (its modules, the schema,
 * a parser not yet optimised), where the daemon's own thread, warm from the scans before,
 * loads a file in 0.3–0.5 ms: a `git pull` of 200 files went live after 1.1–3.9 s, and
 * 0.4–0.5 s in-process. The first scan has no such head start and loads as `loadFiles` does.
 */
const RESCAN_THREADS_FROM = 2_000;

export interface FolderScan {
  files: FileResult[];
  problems: Discovery["problems"];
  /** Files the folder holds and run passes over (`.YAML`), or none at all. */
  warnings: Discovery["warnings"];
  /** See `Discovery`: what a watch must cover for this scan's files to stay current. */
  realFolders: Discovery["realFolders"];
}

/**
 * What a scan reads again besides new and changed files: nothing more (`changed`, on the
 * watcher's hints), the files that read other files too (`referenced`: a `${file:}`
 * secret or a CA file can change while the integration file does not, as when Kubernetes
 * rotates a secret volume), or every file (`full`).
 */
export type ScanDepth = "changed" | "referenced" | "full";

/**
 * How many times a scan starts again when a file listed was gone by the time it was read.
 * A git-sync or ConfigMap flip between the two leaves the listing of the revision before;
 * listed again, the scan reads the new one, and a folder unmounted meanwhile is seen gone.
 */
const RELISTS = 2;

/**
 * `onFailure` hears of each file freshly loaded whose load failed unexpectedly (a bug).
 * `loadMany` is the loader (tests wrap it to change the folder between listing and reading).
 */
export function createFolderReader(
  dir: string,
  load: LoadOptions,
  onFailure: (result: FileResult) => void = () => {},
  loadMany: typeof loadFiles = loadFiles,
) {
  let known = new Map<string, { signature: string; result: FileResult }>();
  let scanned = false;
  const isStale = (depth: ScanDepth, cached: { result: FileResult } | undefined) =>
    !cached || depth === "full" || (depth === "referenced" && cached.result.readsFiles === true);

  /** One listing and the reads it asks for; `vanished`: a file listed was gone when read. */
  async function scanOnce(depth: ScanDepth): Promise<FolderScan & { vanished: boolean }> {
    const found = await discoverFiles([dir], true);
    // Signatures are taken before reading: a change during the read shows up next time.
    const signatures = await signaturesOf(found.files);
    const stale = found.files.filter((file, i) => {
      const cached = known.get(file);
      return (
        isStale(depth, cached) || signatures[i] === undefined || cached?.signature !== signatures[i]
      );
    });
    const fresh = new Map<string, FileResult>();
    const loaded = await loadMany(stale, load, scanned ? RESCAN_THREADS_FROM : undefined);
    scanned = true;
    stale.forEach((file, i) => fresh.set(file, loaded[i]!));
    for (const result of loaded) if (result.internalError !== undefined) onFailure(result);
    const next = new Map<string, { signature: string; result: FileResult }>();
    const files: FileResult[] = [];
    found.files.forEach((file, i) => {
      const result = fresh.get(file) ?? known.get(file)!.result;
      // Gone since the listing: as if not listed (its going is the watcher's to hear of).
      if (result.vanished) return;
      const signature = signatures[i];
      if (signature !== undefined) next.set(file, { signature, result });
      files.push(result);
    });
    known = next;
    const { problems, warnings, realFolders } = found;
    return { files, problems, warnings, realFolders, vanished: files.length < found.files.length };
  }

  return {
    async scan(depth: ScanDepth): Promise<FolderScan> {
      let { vanished, ...scan } = await scanOnce(depth);
      // Files read already are not read again: they are known now, with their signatures.
      for (let relist = 0; vanished && relist < RELISTS; relist++)
        ({ vanished, ...scan } = await scanOnce("changed"));
      return scan;
    },
  };
}

async function signaturesOf(files: readonly string[]): Promise<(string | undefined)[]> {
  const signatures: (string | undefined)[] = [];
  for (let start = 0; start < files.length; start += SIGNATURES_PER_TURN) {
    if (start > 0) await nextTurn();
    for (const file of files.slice(start, start + SIGNATURES_PER_TURN)) {
      signatures.push(signatureOf(file));
    }
  }
  return signatures;
}

/**
 * What identifies a file's content without reading it. A swapped symlink (ConfigMap,
 * git-sync) leads to another inode with other times; the change time moves even when a
 * writer restores the modification time. Only links pay for a real-path lookup.
 */
function signatureOf(file: string): string | undefined {
  try {
    const own = lstatSync(file, { bigint: true });
    const link = own.isSymbolicLink();
    const st = link ? statSync(file, { bigint: true }) : own;
    const real = link ? realpathSync(file) : file;
    return `${real}|${st.dev}|${st.ino}|${st.size}|${st.mtimeNs}|${st.ctimeNs}`;
  } catch {
    return undefined; // gone or unreadable: the loader reports it
  }
}
