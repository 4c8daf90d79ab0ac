/**
 * What the config watcher logs of each generation: one line with the counts and names,
 * the problems and warnings of the files, and the files the folder holds but run passes over.
 */
import type { Logger } from "../../logger.js";
import type { ConfigState, GenerationStep } from "./generation.js";
import type { Problem } from "../types.js";

/** Names listed per kind of change in a generation's log line; the counts say the rest. */
const NAMES_LOGGED = 20;

/** The first names of a list, and how many more there are. */
function namesListed(all: readonly string[]): string {
  const more = all.length > NAMES_LOGGED ? `, … ${all.length - NAMES_LOGGED} more` : "";
  return `${all.slice(0, NAMES_LOGGED).join(", ")}${more}`;
}

/**
 * Logs generation `step`; `before` is the generation it follows, `folder` the real path the
 * folder led to. With the digest, the line says which files run, whatever the replica's count.
 */
export function report(
  log: Logger,
  { state, summary: s, names }: GenerationStep,
  before: ConfigState | undefined,
  folder: string,
): void {
  const listed = (kind: keyof typeof names) =>
    names[kind].length === 0 ? "" : ` (${namesListed(names[kind])})`;
  // The files, as the counts of invalid ones are of files: their problems follow, once each.
  const invalidFiles = [...new Set(state.problems.map((p) => p.file))].sort();
  const invalidListed = invalidFiles.length === 0 ? "" : ` (${namesListed(invalidFiles)})`;
  // A file fixed back to its last valid version changes nothing in force: said, or the fix
  // would leave a line of noughts.
  const fixed = validAgain(before, state, invalidFiles);
  const fixedListed =
    fixed.length === 0 ? "" : `, ${fixed.length} valid again (${namesListed(fixed)})`;
  log.info(
    {
      generation: s.generation,
      added: s.added,
      changed: s.changed,
      removed: s.removed,
      invalid: s.invalid,
      names: {
        added: names.added.slice(0, NAMES_LOGGED),
        changed: names.changed.slice(0, NAMES_LOGGED),
        removed: names.removed.slice(0, NAMES_LOGGED),
        invalid: invalidFiles.slice(0, NAMES_LOGGED),
        ...(fixed.length > 0 ? { validAgain: fixed.slice(0, NAMES_LOGGED) } : {}),
      },
      digest: state.digest,
      folder,
    },
    `config generation ${s.generation}: ${s.added} added${listed("added")}, ` +
      `${s.changed} changed${listed("changed")}, ${s.removed} removed${listed("removed")}, ` +
      `${s.invalid} invalid${invalidListed}${fixedListed}; digest ${state.digest}, from ${folder}`,
  );
  for (const p of newProblems(before, state)) {
    log.warn(
      { file: p.file, line: p.line, column: p.column },
      `${p.file}:${p.line}:${p.column}: ${p.message}`,
    );
  }
}

/** Files invalid in the generation before that are still there and invalid no more. */
function validAgain(
  before: ConfigState | undefined,
  now: ConfigState,
  invalidNow: readonly string[],
): string[] {
  const wasInvalid = new Set((before?.problems ?? []).map((p) => p.file));
  return [...wasInvalid].filter((file) => now.files.has(file) && !invalidNow.includes(file)).sort();
}

/** Files rewritten with nothing in force changed: said, as the edit was seen, without a generation. */
export function reportRewritten(
  log: Logger,
  { state, rewritten }: GenerationStep,
  folder: string,
): void {
  log.info(
    {
      generation: state.generation,
      rewritten: rewritten.slice(0, NAMES_LOGGED),
      digest: state.digest,
      folder,
    },
    `config generation ${state.generation} stays: ${namesListed(rewritten)} ` +
      `changed on disk (rewritten, or removed having served nothing), nothing in force changed; ` +
      `digest ${state.digest}, from ${folder}`,
  );
}

/**
 * Problems not logged with an earlier generation: a file's when they are new or changed,
 * discovery's when new. An unchanged invalid file is not reported again at every
 * generation; the status page and the metrics keep showing it.
 */
function newProblems(before: ConfigState | undefined, now: ConfigState): Problem[] {
  const key = (problems: readonly Problem[]) => JSON.stringify(problems);
  const logged = new Set((before?.discoveryProblems ?? []).map((p) => key([p])));
  const discovery = now.discoveryProblems.filter((p) => !logged.has(key([p])));
  const files = [...now.files.values()].filter(
    (f) =>
      f.problems.length > 0 && key(before?.files.get(f.file)?.problems ?? []) !== key(f.problems),
  );
  return [...discovery, ...files.flatMap((f) => f.problems)];
}

/** Warnings of the files read anew: an unchanged file's were logged when it was read. */
export function warnAboutNewContent(
  log: Logger,
  before: ConfigState | undefined,
  now: ConfigState,
) {
  for (const f of now.files.values()) {
    if (before?.files.get(f.file)?.hash === f.hash) continue;
    for (const w of f.result.warnings ?? []) {
      log.warn(
        { file: w.file, line: w.line, column: w.column },
        `${w.file}:${w.line}:${w.column}: warning: ${w.message}`,
      );
    }
  }
}

/** Logs the warnings not logged at the scan before (a `.YAML` file); returns those seen now. */
export function warnOfNew(
  log: Logger,
  warnings: readonly Problem[],
  logged: Set<string>,
): Set<string> {
  const now = new Set<string>();
  for (const { file, message } of warnings) {
    const line = `${file}: warning: ${message}`;
    if (!logged.has(line)) log.warn({ file }, line);
    now.add(line);
  }
  return now;
}
