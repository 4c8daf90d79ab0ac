/**
 * The loaded configuration as a sequence of generations, and the pure step from one
 * generation to the next. A file that turns invalid keeps serving its last valid
 * version; a name claimed by two files stays with the file that already had it.
 */
import { renamedInvalidFiles } from "./renamed-files.js";
import type { Integration, Problem } from "./types.js";

/** What the loader says about one file (the loader's `FileResult` has this shape). */
export interface LoadedFile {
  file: string;
  hash: string;
  integrations: Integration[];
  problems: Problem[];
  warnings?: Problem[];
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
}

export interface GenerationStep {
  state: ConfigState;
  summary: GenerationSummary;
  /** Integration names by kind of change, for whoever must react to them. */
  names: { added: string[]; changed: string[]; removed: string[] };
  /** False when the scan found nothing new: `state` is then `previous` itself. */
  changed: boolean;
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
  const results = [...scan.files].sort((a, b) => compareText(a.file, b.file));
  const files = resolveFiles(previous, results);
  const integrations = [...files.values()].flatMap((f) => f.lastValid);
  const problems = [...scan.problems, ...[...files.values()].flatMap((f) => f.problems)];
  const diff = diffIntegrations(previous?.integrations ?? [], integrations);
  const same =
    previous !== undefined &&
    diff.added.length + diff.changed.length + diff.removed.length === 0 &&
    sameFiles(previous.files, files) &&
    problemsKey(previous.discoveryProblems) === problemsKey(scan.problems);
  const base = previous ?? emptyState(at);
  const state: ConfigState = same
    ? base
    : {
        generation: base.generation + 1,
        at,
        files,
        integrations,
        problems,
        discoveryProblems: scan.problems,
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
  return { state, summary, names, changed: !same };
}

function emptyState(at: Date): ConfigState {
  return {
    generation: 0,
    at,
    files: new Map(),
    integrations: [],
    problems: [],
    discoveryProblems: [],
  };
}

interface Candidate {
  result: LoadedFile;
  before: FileState | undefined;
  /** The loader accepted the new content. */
  fresh: boolean;
  /** Why the new content was refused: one of its names belongs to another file. */
  refused: Problem[];
  /** Refused for good in an earlier pass; its last valid names are reserved for it. */
  forced: boolean;
}

const accepted = (c: Candidate): boolean => c.fresh && c.refused.length === 0;

/** What each candidate serves now. */
const served = (c: Candidate): Integration[] =>
  accepted(c) ? c.result.integrations : (c.before?.lastValid ?? []);

/**
 * Builds the new file states. New content that claims a name another file holds is
 * refused as a whole and the file falls back to its last valid version. The names of
 * that version were this file's in the previous generation; if a newcomer took one of
 * them meanwhile, the file is pinned to its fallback and names are assigned again.
 * Pins only grow, so this settles in at most one pass per file.
 */
function resolveFiles(
  previous: ConfigState | undefined,
  results: LoadedFile[],
): Map<string, FileState> {
  const moved = renamedInvalidFiles(previous, results);
  const candidates = results.map<Candidate>((result) => ({
    result,
    before: previous?.files.get(result.file) ?? moved.get(result.file),
    fresh: result.problems.length === 0,
    refused: [],
    forced: false,
  }));
  const holders = previousHolders(previous, moved);
  for (let pass = 0; pass <= candidates.length; pass++) {
    const owners = assignNames(candidates, holders);
    const clashing = candidates.filter(
      (c) => !accepted(c) && !c.forced && fallbackClashes(c, owners),
    );
    if (clashing.length === 0) break;
    for (const c of clashing) c.forced = true;
  }
  return new Map(candidates.map((c) => [c.result.file, toFileState(c)]));
}

function toFileState(c: Candidate): FileState {
  return {
    file: c.result.file,
    hash: c.result.hash,
    problems: [...c.result.problems, ...c.refused],
    lastValid: served(c),
    lastValidHash: accepted(c) ? c.result.hash : c.before?.lastValidHash,
    result: c.result,
  };
}

/** Which file served each name in the previous generation (a renamed one: under its new path). */
function previousHolders(
  previous: ConfigState | undefined,
  moved: ReadonlyMap<string, FileState>,
): Map<string, string> {
  const holders = new Map<string, string>();
  for (const f of previous?.files.values() ?? []) {
    for (const i of f.lastValid) holders.set(i.name, f.file);
  }
  for (const f of moved.values()) {
    for (const i of f.lastValid) holders.set(i.name, f.file);
  }
  return holders;
}

interface Owner {
  file: string;
  integration: Integration;
}

/**
 * Gives every name one owner: first the names a file keeps from the previous
 * generation, then new names to fresh content in path order. Content that would take
 * an owned name (or name two integrations alike) is refused and claims nothing.
 */
function assignNames(candidates: Candidate[], holders: Map<string, string>): Map<string, Owner> {
  const owners = new Map<string, Owner>();
  for (const c of candidates) {
    const file = c.result.file;
    const kept = c.fresh && !c.forced ? c.result.integrations : (c.before?.lastValid ?? []);
    for (const i of kept) {
      if (holders.get(i.name) === file) owners.set(i.name, { file, integration: i });
    }
  }
  for (const c of candidates) {
    if (!c.fresh || c.forced) continue;
    const mine = new Map<string, Integration>();
    c.refused = c.result.integrations.flatMap((i) => {
      const first = mine.get(i.name);
      mine.set(i.name, first ?? i);
      const owner = owners.get(i.name);
      if (first) return [duplicateProblem(i, first)];
      if (owner && owner.file !== c.result.file) return [duplicateProblem(i, owner.integration)];
      return [];
    });
    if (c.refused.length > 0) continue;
    for (const i of c.result.integrations) {
      owners.set(i.name, owners.get(i.name) ?? { file: c.result.file, integration: i });
    }
  }
  return owners;
}

/** Whether another file now owns a name this refused file would fall back to. */
function fallbackClashes(c: Candidate, owners: Map<string, Owner>): boolean {
  return (c.before?.lastValid ?? []).some((i) => {
    const owner = owners.get(i.name);
    return owner !== undefined && owner.file !== c.result.file;
  });
}

/** Worded as the loader words it, so `validate` and the daemon say the same thing. */
function duplicateProblem(newcomer: Integration, owner: Integration): Problem {
  const { file, line, column } = newcomer.source;
  const first = owner.source;
  return {
    file,
    line,
    column,
    integration: newcomer.name,
    message:
      `duplicate name "${newcomer.name}": already defined in ${first.file}:${first.line}:${first.column}; ` +
      `names must be unique across ${file} and ${first.file}`,
  };
}

function diffIntegrations(before: Integration[], after: Integration[]) {
  const old = new Map(before.map((i) => [i.name, i]));
  const now = new Map(after.map((i) => [i.name, i]));
  const added = [...now.keys()].filter((n) => !old.has(n));
  const removed = [...old.keys()].filter((n) => !now.has(n));
  const kept = [...now.keys()].filter((n) => old.has(n));
  const changed = kept.filter((n) => {
    const [was, is] = [old.get(n), now.get(n)];
    return was !== is && fingerprint(was) !== fingerprint(is);
  });
  return { added, changed, removed, unchanged: kept.length - changed.length };
}

const fingerprints = new WeakMap<Integration, string>();

/** Identity of an integration's definition: everything but where in its file it starts. */
function fingerprint(i: Integration | undefined): string {
  if (i === undefined) return "";
  let known = fingerprints.get(i);
  if (known === undefined) {
    known = stableJson({ ...i, source: { file: i.source.file } });
    fingerprints.set(i, known);
  }
  return known;
}

function sameFiles(a: ReadonlyMap<string, FileState>, b: ReadonlyMap<string, FileState>): boolean {
  if (a.size !== b.size) return false;
  for (const [file, now] of b) {
    const was = a.get(file);
    if (!was || was.hash !== now.hash || was.lastValidHash !== now.lastValidHash) return false;
    if (problemsKey(was.problems) !== problemsKey(now.problems)) return false;
  }
  return true;
}

const problemsKey = (problems: Problem[]): string => stableJson(problems);

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
