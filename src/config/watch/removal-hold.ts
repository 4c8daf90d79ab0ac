/**
 * Removals wait until the folder is quiet. A file missing from a scan made while changes
 * keep coming is most often between its removal and its rewrite (a script that deletes
 * and writes files one by one, an editor's backup rename, a checkout): removed at once,
 * its integration would miss the events in between and come back as new a moment later.
 * Added and changed files keep their timing: a scan that holds a removal makes no
 * generation only when waiting for the removal still applies its changes within
 * `maxWaitMs` of the first of them, so that a quick burst (a checkout that changes some
 * files and deletes others) stays one generation.
 */
import type { ConfigState, FileState, LoadedFile } from "./generation.js";
import { declaredNames } from "./renamed-files.js";

export interface RemovalTiming {
  /** How long the folder must be without events before a removal is applied. */
  quietMs: number;
  /** How long a removal waits at most while events never pause. */
  boundMs: number;
  /** How late a change may be applied after its first event. */
  maxWaitMs: number;
}

export interface HeldScan {
  /** The scan's files, with those whose removal waits carried over as they were. */
  files: LoadedFile[];
  /** Paths carried over. */
  held: string[];
  /** When to scan again so that the held removals are applied; undefined if none waits. */
  recheckAt: number | undefined;
  /** Make no generation now: the scan at `recheckAt` applies this one's changes in time. */
  defer: boolean;
}

export interface RemovalHold {
  /** A file-system event came at `now`. */
  event(now: number): void;
  /**
   * The files a generation is made of, for a scan that started at `now`. `force`: every
   * removal now (start, `SIGHUP`: the operator's word that the folder is as meant).
   */
  apply(
    previous: ConfigState | undefined,
    files: LoadedFile[],
    now: number,
    force: boolean,
  ): HeldScan;
}

export function createRemovalHold(timing: RemovalTiming): RemovalHold {
  const { quietMs, boundMs, maxWaitMs } = timing;
  let lastEventAt = Number.NEGATIVE_INFINITY;
  /** The first event that no generation has answered yet. */
  let unansweredSince: number | undefined;
  /** Held path -> when its removal was first held. */
  let since = new Map<string, number>();
  return {
    event(now) {
      lastEventAt = Math.max(lastEventAt, now);
      unansweredSince ??= now;
    },
    apply(previous, files, now, force) {
      const quiet = now - lastEventAt >= quietMs;
      const next = new Map<string, number>();
      const carried: LoadedFile[] = [];
      for (const gone of removedFiles(previous, files)) {
        const first = since.get(gone.file) ?? now;
        if (force || quiet || now - first >= boundMs) continue;
        next.set(gone.file, first);
        carried.push(gone.result);
      }
      since = next;
      const deadlines = [...next.values()].map((first) => first + boundMs);
      const recheckAt =
        carried.length > 0 ? Math.min(lastEventAt + quietMs, ...deadlines) : undefined;
      const defer =
        recheckAt !== undefined &&
        recheckAt - (unansweredSince ?? now) <= maxWaitMs &&
        recheckAt - now <= maxWaitMs;
      // Events since the scan started are answered by a later scan.
      if (!defer) unansweredSince = lastEventAt >= now ? now : undefined;
      return { files: [...files, ...carried], held: [...next.keys()], recheckAt, defer };
    },
  };
}

/**
 * Files of the previous generation missing from this scan whose going would remove an
 * integration: they serve something, no new or changed file of the scan names any of it
 * (an invalid one included, see renamed-files.ts), and none holds their bytes. One that
 * does (a rename, a split) is applied at once, as a held file would keep its names from the
 * file that now has them. A file that was there unchanged does not count: one refused as a
 * duplicate of the missing file's name would otherwise take it over while the missing file
 * is between its removal and its rewrite.
 */
function removedFiles(previous: ConfigState | undefined, files: LoadedFile[]): FileState[] {
  if (!previous) return [];
  const present = new Set(files.map((f) => f.file));
  const hashes = new Set(files.map((f) => f.hash));
  const newOrChanged = files.filter((f) => previous.files.get(f.file)?.hash !== f.hash);
  const named = new Set(newOrChanged.flatMap((f) => [...declaredNames(f)]));
  return [...previous.files.values()].filter(
    (f) =>
      !present.has(f.file) &&
      !hashes.has(f.hash) &&
      f.lastValid.length > 0 &&
      !f.lastValid.some((i) => named.has(i.name)),
  );
}
