/**
 * A rename as a scan sees it: the old path gone and a new one there, holding the same
 * bytes. Only an invalid file needs it: a valid one serves its content wherever it is.
 */
import type { ConfigState, FileState, LoadedFile } from "./generation.js";

/**
 * Invalid files new in this scan whose content a vanished file had, with what that file
 * served: a rename (`git mv`) of a file while it was invalid. Its content did not change,
 * so it keeps the last valid version, under its new path; renamed and edited at once, it
 * is new content and serves nothing until it is valid.
 */
export function renamedInvalidFiles(
  previous: ConfigState | undefined,
  results: LoadedFile[],
): Map<string, FileState> {
  const moved = new Map<string, FileState>();
  if (!previous) return moved;
  const present = new Set(results.map((r) => r.file));
  const vanished = [...previous.files.values()].filter(
    (f) => !present.has(f.file) && f.problems.length > 0 && f.lastValid.length > 0,
  );
  for (const result of results) {
    if (previous.files.has(result.file) || result.problems.length === 0) continue;
    const from = vanished.findIndex((f) => f.hash === result.hash);
    if (from === -1) continue;
    const [state] = vanished.splice(from, 1);
    if (!state) continue;
    const lastValid = state.lastValid.map((i) => ({
      ...i,
      source: { ...i.source, file: result.file },
    }));
    moved.set(result.file, { ...state, file: result.file, lastValid });
  }
  return moved;
}
