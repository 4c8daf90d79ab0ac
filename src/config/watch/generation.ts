/**
 * The loaded configuration as a sequence of generations, and the pure step from one
 * generation to the next. A file that turns invalid keeps serving its last valid
 * version; a name claimed by two files stays with the file that already had it (both
 * settled in name-ownership.ts; here the generation is assembled and compared).
 */
import { sep } from "node:path";
import { digestInForce } from "../digest.js";
import { resolveFiles } from "../load/name-ownership.js";
import { declaredNames } from "./renamed-files.js";
import { compareText } from "../text.js";
import { sameDefinition, stableJson } from "../fingerprint.js";
import type { NameAt } from "../load/load-file.js";
import type { Integration, Problem } from "../types.js";

/** What the loader says about one file (the loader's `FileResult` has this shape). */
export interface LoadedFile {
  file: string;
  hash: string;
  integrations: Integration[];
  problems: Problem[];
  warnings?: Problem[];
  /** See `FileResult.unloaded`. */
  unloaded?: NameAt[];
}

export interface FileState {
  file: string;
  /** Hash of the file's current content. */
  hash: string;
  /** Problems of the current content, cross-file ones included. */
  problems: Problem[];
  /** What this file serves: its last valid version, empty if it never was valid. */
  lastValid: Integration[];
  /** Hash of the version in `lastValid`; undefined if the file never was valid. */
  lastValidHash: string | undefined;
  /** The loader's latest result, kept so an unchanged file costs nothing next time. */
  result: LoadedFile;
}

export interface ConfigState {
  generation: number;
  /** When this generation was computed. */
  at: Date;
  files: ReadonlyMap<string, FileState>;
  /** Integrations in service, by file path then document order; names are unique. */
  integrations: Integration[];
  /** Every problem: discovery first, then by file. */
  problems: Problem[];
  /** Problems of discovery itself (unreadable folders and the like). */
  discoveryProblems: Problem[];
  /**
   * The configuration digest of the files in force (see config/digest.ts). A file rewritten
   * with nothing in force changed changes it without a new generation.
   */
  digest: string;
  /**
   * Where the folder led when the scan of this generation began, links resolved (set by
   * the watcher; a git-sync worktree or a ConfigMap's timestamped folder).
   */
  folder?: string;
}

export interface GenerationSummary {
  generation: number;
  added: number;
  changed: number;
  removed: number;
  /** Files (or discovery paths) with at least one problem. */
  invalid: number;
  unchanged: number;
}

export interface ScanResult {
  files: LoadedFile[];
  /** Problems of discovery. */
  problems: Problem[];
  /** The folder scanned: the digest names files relative to it (unset: as given). */
  root?: string;
}

export interface GenerationStep {
  state: ConfigState;
  summary: GenerationSummary;
  /** Integration names by kind of change, for whoever must react to them. */
  names: { added: string[]; changed: string[]; removed: string[] };
  /**
   * False when nothing in force changed: no integration and no problem. `state` is then
   * `previous` itself, or, when files were rewritten without such a change (a comment,
   * line endings, a byte-order mark), `previous` with those files' new states, under the
   * same generation number: a generation is a change of what runs or what is reported.
   */
  changed: boolean;
  /** Files whose content changed while nothing in force did. */
  rewritten: string[];
}

/** Integrations that files with problems may be holding back (see `heldBackNames`). */
export interface HeldBack {
  /** A problem names no integration: any name may be behind it. */
  any: boolean;
  names: ReadonlySet<string>;
}

/**
 * The integrations the configuration's problems may hold back: every name the documents of
 * a file with problems give, valid or not; and `any` when a problem names none (YAML that
 * does not parse, a document without a name, a folder that cannot be read).
 */
export function heldBackNames(state: ConfigState): HeldBack {
  const names = new Set<string>();
  for (const file of state.files.values()) {
    if (file.problems.length > 0) for (const name of declaredNames(file.result)) names.add(name);
  }
  return { any: state.problems.some((p) => p.integration === undefined), names };
}

/** True while no file and no discovery path has a problem. */
export function lastReloadSuccessful(state: ConfigState): boolean {
  return state.problems.length === 0;
}

export function nextGeneration(
  previous: ConfigState | undefined,
  scan: ScanResult,
  at: Date,
): GenerationStep {
  const results = [...scan.files, ...unseenFiles(previous, scan)].sort((a, b) =>
    compareText(a.file, b.file),
  );
  const files = resolveFiles(previous, results);
  const integrations = [...files.values()].flatMap((f) => f.lastValid);
  const problems = [...scan.problems, ...[...files.values()].flatMap((f) => f.problems)];
  const diff = diffIntegrations(previous?.integrations ?? [], integrations);
  const same =
    previous !== undefined &&
    diff.added.length + diff.changed.length + diff.removed.length === 0 &&
    problemsKey(previous.problems) === problemsKey(problems) &&
    problemsKey(previous.discoveryProblems) === problemsKey(scan.problems);
  const rewritten = same ? rewrittenFiles(previous.files, files) : [];
  const digest = (): string => digestInForce(scan.root, files.values());
  const state: ConfigState = same
    ? rewritten.length > 0
      ? { ...previous, files, digest: digest() }
      : previous
    : {
        generation: (previous?.generation ?? 0) + 1,
        at,
        files,
        integrations,
        problems,
        discoveryProblems: scan.problems,
        digest: digest(),
      };
  const summary: GenerationSummary = {
    generation: state.generation,
    added: diff.added.length,
    changed: diff.changed.length,
    removed: diff.removed.length,
    invalid: new Set(state.problems.map((p) => p.file)).size,
    unchanged: diff.unchanged,
  };
  const names = { added: diff.added, changed: diff.changed, removed: diff.removed };
  return { state, summary, names, changed: !same, rewritten };
}

/**
 * Files of the previous generation that the scan could not see because discovery could
 * not read a path on the way (a folder without rights, a broken link, a link loop): not
 * gone, only unseen, so they keep serving what they served, as an unreadable file does.
 * The discovery problem on that path says why.
 */
function unseenFiles(previous: ConfigState | undefined, scan: ScanResult): LoadedFile[] {
  if (!previous || scan.problems.length === 0) return [];
  const present = new Set(scan.files.map((f) => f.file));
  const blocked = scan.problems.map((p) => p.file);
  const under = (file: string) => blocked.some((b) => file === b || file.startsWith(b + sep));
  return [...previous.files.values()]
    .filter((f) => !present.has(f.file) && under(f.file))
    .map((f) => f.result);
}

function diffIntegrations(before: Integration[], after: Integration[]) {
  const old = new Map(before.map((i) => [i.name, i]));
  const now = new Map(after.map((i) => [i.name, i]));
  const added = [...now.keys()].filter((n) => !old.has(n));
  const removed = [...old.keys()].filter((n) => !now.has(n));
  const kept = [...now.keys()].filter((n) => old.has(n));
  const changed = kept.filter((n) => {
    const [was, is] = [old.get(n), now.get(n)];
    return was !== is && !sameDefinition(was, is);
  });
  return { added, changed, removed, unchanged: kept.length - changed.length };
}

/** Files whose state differs between two generations that have the same files in force. */
function rewrittenFiles(
  a: ReadonlyMap<string, FileState>,
  b: ReadonlyMap<string, FileState>,
): string[] {
  const files = [...b.values()].filter((now) => {
    const was = a.get(now.file);
    return !was || was.hash !== now.hash || was.lastValidHash !== now.lastValidHash;
  });
  const gone = [...a.keys()].filter((file) => !b.has(file));
  return [...files.map((f) => f.file), ...gone];
}

const problemsKey = (problems: Problem[]): string => stableJson(problems);
