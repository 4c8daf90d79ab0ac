/**
 * Which version each file serves in a new generation, and which file owns each name.
 * New content that claims a name another file holds is refused as a whole, and the file
 * keeps serving its last valid version. Apart from generation.ts, which only assembles
 * and compares generations, because this settling of claims is the intricate part.
 */
import { renamedInvalidFiles } from "../watch/renamed-files.js";
import type { ConfigState, FileState, LoadedFile } from "../watch/generation.js";
import type { Integration, Problem } from "../types.js";

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
export function resolveFiles(
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
  let owners = assignNames(candidates, holders);
  for (let pass = 0; pass < candidates.length; pass++) {
    const clashing = candidates.filter(
      (c) => !accepted(c) && !c.forced && fallbackClashes(c, owners),
    );
    if (clashing.length === 0) break;
    for (const c of clashing) c.forced = true;
    owners = assignNames(candidates, holders);
  }
  const ownerOf = (name: string) => owners.get(name)?.integration;
  return new Map(candidates.map((c) => [c.result.file, toFileState(c, ownerOf)]));
}

function toFileState(c: Candidate, ownerOf: (name: string) => Integration | undefined): FileState {
  const claims = c.fresh ? [] : claimsOfInvalid(c.result, ownerOf);
  return {
    file: c.result.file,
    hash: c.result.hash,
    problems: [...c.result.problems, ...c.refused, ...claims],
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

/** A name where it is written. */
interface Claim {
  name: string;
  source: { file: string; line: number; column: number };
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

/**
 * An invalid file's documents whose names another file serves. They claim nothing while
 * the file is invalid, but would be refused once it is mended: said now, so that one
 * round of fixes is enough. `ownerOf` gives the integration that serves a name.
 */
export function claimsOfInvalid(
  result: LoadedFile,
  ownerOf: (name: string) => Integration | undefined,
): Problem[] {
  if (result.problems.length === 0) return [];
  const { file } = result;
  const written = [
    ...result.integrations.map(({ name, source }) => ({ name, source })),
    ...(result.unloaded ?? []).map(({ name, line, column }) => ({
      name,
      source: { file, line, column },
    })),
  ];
  return written.flatMap((claim) => {
    const owner = ownerOf(claim.name);
    return owner && owner.source.file !== file ? [duplicateProblem(claim, owner)] : [];
  });
}

/** Worded as the loader words it, so `validate` and the daemon say the same thing. */
function duplicateProblem(newcomer: Claim, owner: Claim): Problem {
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
