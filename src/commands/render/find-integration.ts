/**
 * The integration `render` shows: from a file given by path, or by name in a folder, as
 * `run` would load it, with what holds it back said when it cannot be rendered.
 */
import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import {
  isFileValid,
  loadFile,
  loadIntegrations,
  type FileResult,
  type LoadOptions,
} from "../../config/load/load.js";
import type { Integration, Problem } from "../../config/types.js";
import { printable } from "../../output/printable.js";
import { textLine } from "../validate.js";
import { fail } from "./fail.js";

/** An existing path is an integration file; anything else is a name in `dir`. */
export async function findIntegration(
  target: string,
  dir: string,
  load: LoadOptions,
): Promise<Integration> {
  const kind = await stat(target).then(
    (s) => (s.isFile() ? "file" : s.isDirectory() ? "folder" : "other"),
    () => "none",
  );
  if (kind === "file") return fromFile(target, load);
  // A folder may share an integration's name: the name is looked up first.
  const notFound =
    kind === "folder"
      ? `${target} is a folder, and no integration in ${dir} has that name: give one of its ` +
        `files, or an integration's name with --dir ${target}`
      : undefined;
  return byName(target, dir, load, notFound);
}

/**
 * The file form renders a file's only integration. A file of several names no one of
 * them, a usage error whatever their problems, so that is said first: by name, one
 * renders even while another integration of its file has problems.
 */
async function fromFile(file: string, load: LoadOptions): Promise<Integration> {
  const result = await loadFile(file, load);
  const names = namesIn(result);
  if (names.length > 1) {
    fail(
      `${file} holds several integrations (${names.join(", ")}); ` +
        `render one by name with --dir ${dirname(file)}`,
      2,
    );
  }
  if (!isFileValid(result)) {
    reportProblems(result.problems);
    fail(`${file} cannot be loaded: fix the problems above`);
  }
  const [only] = result.integrations;
  if (!only) fail(`${file} holds no integration`);
  return only;
}

/** `notFound`: what to say when no integration has the name (else it lists those there). */
async function byName(
  name: string,
  dir: string,
  load: LoadOptions,
  notFound?: string,
): Promise<Integration> {
  const isFolder = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder) {
    fail(
      notFound ??
        `no file ${name}, and no folder ${dir} to look for an integration of that name in (--dir)`,
      2,
    );
  }
  const { files, integrations } = await loadIntegrations([dir], load);
  // First what `run` serves; then one held back only by other integrations of its file.
  const found =
    integrations.find((i) => i.name === name) ??
    files.flatMap(renderable).find((i) => i.name === name);
  if (found) {
    noteOtherProblems(found, files);
    noteNameTaken(found, files);
    return found;
  }
  const homes = files.filter((f) => namesIn(f).includes(name));
  if (homes.length > 0) {
    reportProblems(homes.flatMap((f) => f.problems.filter((p) => blocks(p, name))));
    fail(`integration ${name} cannot be loaded: fix the problems above`);
  }
  fail(
    notFound ??
      `no integration named ${name} in ${dir} (and no such file); ${namesThere(files)}` +
        unreadableThere(files, dir),
    2,
  );
}

/**
 * Files not all of whose integrations can be known (a YAML syntax error, say, even after
 * documents that name theirs): the one meant may be there.
 */
function unreadableThere(files: readonly FileResult[], dir: string): string {
  const unknown = files.filter((f) => f.problems.some((p) => p.integration === undefined));
  if (unknown.length === 0) return "";
  const names = unknown.map((f) => f.file).sort();
  return (
    `; it may be in ${names.length === 1 ? "a file" : "files"} that cannot be read: ` +
    `${names.join(", ")} (see hookswitch validate ${dir})`
  );
}

/** Every name the folder's files define, those that cannot load too: the one meant may be one. */
function namesThere(files: readonly FileResult[]): string {
  const loadable = new Set(files.flatMap(renderable).map((i) => i.name));
  const names = [...new Set(files.flatMap(namesIn))].sort();
  if (names.length === 0) return "it defines no integration";
  const shown = names.map((n) => (loadable.has(n) ? n : `${n} (held back by problems)`));
  return `integrations there: ${shown.join(", ")}`;
}

/**
 * Whether a problem keeps the integration `name` from rendering: one of its own, or one
 * no integration owns (a YAML syntax error, an unreadable file), which may hide it.
 */
function blocks(problem: Problem, name: string): boolean {
  return problem.integration === undefined || problem.integration === name;
}

/** The integrations of a file that no problem of their own or of the file holds back. */
function renderable(file: FileResult): Integration[] {
  return file.integrations.filter((i) => !file.problems.some((p) => blocks(p, i.name)));
}

/** Every name a file defines, loaded or not, in file order (documents do not overlap). */
function namesIn(file: FileResult): string[] {
  const at = [
    ...file.integrations.map((i) => ({ line: i.source.line, name: i.name })),
    ...file.problems.flatMap((p) => (p.integration ? [{ line: p.line, name: p.integration }] : [])),
  ];
  return [...new Set(at.sort((a, b) => a.line - b.line).map((n) => n.name))];
}

/** Rendered from a file `run` leaves out: say so, or the output suggests it is live. */
function noteOtherProblems(integration: Integration, files: readonly FileResult[]): void {
  const home = files.find((f) => f.file === integration.source.file);
  if (!home || isFileValid(home)) return;
  const others = new Set(home.problems.map((p) => p.integration));
  const note =
    `note: ${home.file} has problems in other integrations ` +
    `(${[...others].join(", ")}); run leaves a file with any problem out as a whole ` +
    `(see hookswitch validate --resolve-secrets ${home.file})`;
  process.stderr.write(`hookswitch render: ${printable(note)}\n`);
}

/** Another file that defines the name too is refused while this one holds it: say which. */
function noteNameTaken(integration: Integration, files: readonly FileResult[]): void {
  const { name } = integration;
  const others = files
    .filter((f) => f.file !== integration.source.file && namesIn(f).includes(name))
    .map((f) => f.file);
  if (others.length === 0) return;
  const note =
    `note: ${others.join(", ")} ${others.length === 1 ? "defines" : "define"} ${name} too, ` +
    `which is refused while ${integration.source.file} holds the name; this is the request of ` +
    `${integration.source.file} (see hookswitch validate)`;
  process.stderr.write(`hookswitch render: ${printable(note)}
`);
}

function reportProblems(problems: readonly Problem[]): void {
  for (const p of problems) {
    process.stderr.write(`${textLine(p)}\n`);
  }
}
