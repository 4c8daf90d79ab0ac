/**
 * A rename as a scan sees it: the old path gone and a new one there. Only an invalid new
 * file needs it: a valid one serves its content wherever it is. An invalid one takes over
 * what the vanished file served when it holds the same bytes (renamed while invalid), or
 * when it names integrations that would otherwise leave the configuration (renamed and
 * broken in one change: `git mv` plus an edit), as an edit in place keeps them.
 */
import type { ConfigState, FileState, LoadedFile } from "./generation.js";
import type { Integration } from "../types.js";

/** Names a loaded file gives its documents, valid or not (a problem names its document). */
export function declaredNames(result: LoadedFile): Set<string> {
  const names = result.integrations.map((i) => i.name);
  for (const p of result.problems) if (p.integration !== undefined) names.push(p.integration);
  return new Set(names);
}

/**
 * Invalid files new in this scan, with the last valid versions they take over from files
 * that vanished: all of a vanished invalid file's with the same bytes; otherwise those
 * of the vanished files' integrations it names that no valid file of the scan names.
 * Nothing when no name can be read from it (YAML that does not parse).
 */
export function renamedInvalidFiles(
  previous: ConfigState | undefined,
  results: LoadedFile[],
): Map<string, FileState> {
  const moved = new Map<string, FileState>();
  if (!previous) return moved;
  const present = new Set(results.map((r) => r.file));
  const vanished = [...previous.files.values()].filter(
    (f) => !present.has(f.file) && f.lastValid.length > 0,
  );
  const newInvalid = results.filter((r) => !previous.files.has(r.file) && r.problems.length > 0);
  for (const result of newInvalid) {
    const from = vanished.findIndex((f) => f.problems.length > 0 && f.hash === result.hash);
    const [state] = from === -1 ? [] : vanished.splice(from, 1);
    if (state) moved.set(result.file, movedTo(result, state.lastValid, state));
  }
  const validNames = new Set(
    results
      .filter((r) => r.problems.length === 0)
      .flatMap((r) => r.integrations.map((i) => i.name)),
  );
  const taken = new Set<string>();
  for (const result of newInvalid) {
    if (moved.has(result.file)) continue;
    const names = declaredNames(result);
    const wanted = (i: Integration) => names.has(i.name) && !validNames.has(i.name);
    const from = vanished.filter((f) => f.lastValid.some((i) => wanted(i) && !taken.has(i.name)));
    const kept = from.flatMap((f) => f.lastValid.filter((i) => wanted(i) && !taken.has(i.name)));
    for (const i of kept) taken.add(i.name);
    if (from[0]) moved.set(result.file, movedTo(result, kept, from[0]));
  }
  return moved;
}

/** `state`'s last valid version `lastValid`, now served by the file `result` read. */
function movedTo(result: LoadedFile, lastValid: Integration[], state: FileState): FileState {
  return {
    ...state,
    file: result.file,
    lastValid: lastValid.map((i) => ({ ...i, source: { ...i.source, file: result.file } })),
  };
}
