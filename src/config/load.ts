/**
 * Loads integration files: the one path `run`, `validate` and the watcher all use.
 *
 * Validity is per file: a file with any problem is invalid as a whole, and only valid
 * files contribute integrations (SPEC: an invalid file is reported and left out; the
 * watcher keeps its last valid version). `FileResult.integrations` still lists the valid
 * documents of an invalid file, for display; use `isFileValid` before serving them.
 */
import { compareText, discoverFiles } from "./discover.js";
import { loadFileSync, sortProblems, type FileResult, type LoadOptions } from "./load-file.js";
import { loadFiles } from "./load-many.js";
import type { Integration, Problem } from "./types.js";

export { loadFiles, sortProblems, type FileResult, type LoadOptions };

export interface LoadResult {
  files: FileResult[];
  /** Integrations of valid files, names unique. */
  integrations: Integration[];
  /** Discovery, file and cross-file problems, sorted by file, line and column. */
  problems: Problem[];
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
  const files = await loadFiles(discovery.files, options);
  const cross = applyCrossFileRules(files);
  const problems = [...discovery.problems, ...files.flatMap((f) => f.problems), ...cross.problems];
  return { files, integrations: cross.integrations, problems: sortProblems(problems) };
}

/**
 * Rules across files, over any mix of file results (a watcher passes old and new ones).
 * Only valid files take part. A name defined in several files stays with the first
 * file in path order; every later definition is a problem naming both files.
 */
export function applyCrossFileRules(files: readonly FileResult[]): {
  integrations: Integration[];
  problems: Problem[];
} {
  const owners = new Map<string, Integration>();
  const integrations: Integration[] = [];
  const problems: Problem[] = [];
  const ordered = [...files].filter(isFileValid).sort((a, b) => compareText(a.file, b.file));
  for (const integration of ordered.flatMap((f) => f.integrations)) {
    const owner = owners.get(integration.name);
    if (!owner) {
      owners.set(integration.name, integration);
      integrations.push(integration);
      continue;
    }
    const { file, line, column } = integration.source;
    const first = owner.source;
    problems.push({
      file,
      line,
      column,
      integration: integration.name,
      message: `duplicate name "${integration.name}": already defined in ${first.file}:${first.line}:${first.column}; names must be unique across ${file} and ${first.file}`,
    });
  }
  return { integrations, problems };
}
