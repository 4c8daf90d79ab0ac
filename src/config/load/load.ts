/**
 * Loads integration files: the one path `run`, `validate` and the watcher all use.
 *
 * Validity is per file: a file with any problem is invalid as a whole, and only valid
 * files contribute integrations (an invalid file is reported and left out; the
 * watcher keeps its last valid version). `FileResult.integrations` still lists the valid
 * documents of an invalid file, for display; use `isFileValid` before serving them.
 */
import { discoverFiles } from "./discover.js";
import { nextGeneration } from "../watch/generation.js";
import { claimsOfInvalid } from "./name-ownership.js";
import { loadFileSync, sortProblems, type FileResult, type LoadOptions } from "./load-file.js";
import { loadFiles } from "./load-many.js";
import type { Integration, Problem } from "../types.js";

export { loadFiles, sortProblems, type FileResult, type LoadOptions };

export interface LoadResult {
  /**
   * Per file, cross-file problems included: a file that lost a name to another is
   * invalid, and the refused duplicate is not among its integrations.
   */
  files: FileResult[];
  /** Integrations of valid files, names unique. */
  integrations: Integration[];
  /** Discovery, file and cross-file problems, sorted by file, line and column. */
  problems: Problem[];
  /** What loads but is worth a word (a secret in clear), sorted likewise. */
  warnings: Problem[];
}

export function isFileValid(result: FileResult): boolean {
  return result.problems.length === 0;
}

/** Loads one file (see `loadFileSync`). */
export function loadFile(file: string, options: LoadOptions): Promise<FileResult> {
  return Promise.resolve(loadFileSync(file, options));
}

export async function loadIntegrations(paths: string[], options: LoadOptions): Promise<LoadResult> {
  const discovery = await discoverFiles(paths);
  const loaded = await loadFiles(discovery.files, options);
  const cross = applyCrossFileRules(loaded);
  const files = withCrossFileProblems(loaded, cross.problems);
  const problems = [...discovery.problems, ...files.flatMap((f) => f.problems)];
  const warnings = [...discovery.warnings, ...files.flatMap((f) => f.warnings ?? [])];
  return {
    files,
    integrations: cross.integrations,
    problems: sortProblems(problems),
    warnings: sortProblems(warnings),
  };
}

/**
 * Rules across files, as the daemon applies them when it starts: it is the daemon's own
 * first generation, so `validate` cannot disagree with `run`. Only valid files take part.
 * A name defined in several files stays with the first file in path order; a later file
 * that reuses one is refused as a whole (it serves and claims nothing), with a problem
 * per reused name naming both files. An invalid file that reuses one is told so too.
 */
export function applyCrossFileRules(files: readonly FileResult[]): {
  integrations: Integration[];
  problems: Problem[];
} {
  const valid = files.filter(isFileValid);
  const { state } = nextGeneration(undefined, { files: valid, problems: [] }, new Date(0));
  // Valid files bring no problems of their own: all that remain are refusals.
  const refusals = [...state.files.values()].flatMap((f) => f.problems);
  const owners = new Map(state.integrations.map((i) => [i.name, i]));
  const claims = files.flatMap((f) => claimsOfInvalid(f, (name) => owners.get(name)));
  return { integrations: state.integrations, problems: [...refusals, ...claims] };
}

/** Each file's result with the cross-file problems about it, refused names left out. */
function withCrossFileProblems(files: FileResult[], cross: Problem[]): FileResult[] {
  const byFile = new Map<string, Problem[]>();
  for (const p of cross) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  return files.map((f) => {
    const mine = byFile.get(f.file);
    if (!mine) return f;
    const refused = new Set(mine.map((p) => p.integration));
    return {
      ...f,
      integrations: f.integrations.filter((i) => !refused.has(i.name)),
      problems: sortProblems([...f.problems, ...mine]),
    };
  });
}
