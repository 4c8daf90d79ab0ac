/**
 * Loads one integration file: read (bounded), decode, parse every YAML document with
 * positions, validate each, and report problems. Pure but for the read of the file
 * (and of `${file:}` secrets); safe to run in a worker thread.
 */
import { createHash } from "node:crypto";
import { compareText } from "../text.js";
import { coerceError } from "../../errors.js";
import { readRegularFile } from "../../regular-file.js";
import { documentContext } from "./document-context.js";
import { loadDocument } from "../parse/document.js";
import { decodeText } from "../parse/decode.js";
import { editorSchemaWarnings } from "./editor-schema.js";
import { parseYamlDocuments } from "../parse/parse.js";
import type { SecretMode } from "../references.js";
import type { SecretPolicy } from "../secret-policy.js";
import { DEFAULTS, type Integration, type Problem } from "../types.js";

export interface LoadOptions {
  /** "resolve" reads every `${env:}`/`${file:}` (what `run` does); "keep" only checks their syntax. */
  secrets: SecretMode;
  env?: NodeJS.ProcessEnv;
  /** Where secrets may come from; unset, anywhere. */
  secretPolicy?: SecretPolicy;
  /** Warn of an editor schema comment whose path leads nowhere (`validate`). */
  checkEditorSchema?: boolean;
}

export interface NameAt {
  name: string;
  line: number;
  column: number;
}

export interface FileResult {
  file: string;
  /** sha256 of the content (of size and mtime for a file too large to read). */
  hash: string;
  /** The documents that loaded, the first of a repeated name only; serve them only if the file is valid. */
  integrations: Integration[];
  problems: Problem[];
  /** What loads but is worth a word (a secret in clear); only when there is any. */
  warnings?: Problem[];
  /** The file may read others (a `${file:}` secret, a CA file): set only then. */
  readsFiles?: true;
  /**
   * Names of the documents that did not load, where written: one that another file holds
   * is said at once, not only once the document is mended (only when there is any).
   */
  unloaded?: NameAt[];
  /**
   * The file was listed but gone when read: removed, or swapped away with its folder (a
   * git-sync or ConfigMap link flip) between the listing and the read. A watcher leaves
   * it out of its scan, as a file not listed; `validate` reports it.
   */
  vanished?: true;
  /** The stack of an unexpected failure (a bug) that left the file out: for a debug log only. */
  internalError?: string;
}

/** Cheap and generous: a false match only costs a read at the periodic resync. */
const READS_FILES = /\$\{file:|\bca\s*:/;

/**
 * Loads one file, synchronously: reading and parsing a small file is CPU work, not waiting.
 * Never throws: an unexpected failure (a bug) is a problem of this file alone, so that the
 * other files still load and a rescan still applies them (an invalid file is reported and
 * left out: docs/operating.md, "Live changes to the integrations folder"). `load` is what is
 * guarded; tests give one that fails.
 */
export function loadFileSync(
  file: string,
  options: LoadOptions,
  load: (file: string, options: LoadOptions) => FileResult = loadFileUnguarded,
): FileResult {
  try {
    return load(file, options);
  } catch (err) {
    const error = coerceError(err);
    const message =
      `hookswitch failed to load this file (${error.name}: ${clipped(error.message)}); ` +
      "this is a bug, please report it with this message; the file's last valid version, " +
      "if any, keeps running; otherwise it is left out";
    return {
      file,
      hash: sha256(`failed:${file}:${message}`),
      integrations: [],
      problems: [at(file, message)],
      internalError: error.stack ?? `${error.name}: ${error.message}`,
    };
  }
}

function clipped(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function loadFileUnguarded(file: string, options: LoadOptions): FileResult {
  const content = readBounded(file);
  if (!content.ok) {
    const { hash, message, vanished } = content;
    return {
      file,
      hash,
      integrations: [],
      problems: [at(file, message)],
      ...(vanished && { vanished }),
    };
  }
  const hash = createHash("sha256").update(content.bytes).digest("hex");
  const decoded = decodeText(content.bytes);
  if (!decoded.ok) {
    const { line = 1, column = 1, message } = decoded;
    return { file, hash, integrations: [], problems: [{ file, line, column, message }] };
  }
  const parsed = parseYamlDocuments(decoded.text);
  if (parsed.documents.length === 0 && parsed.problems.length === 0) {
    // Most often a write caught half-way (a file truncated before it is written again): as
    // a problem, the daemon keeps the file's last valid version rather than its removal.
    const problem = at(file, "the file holds no integration: write one in it, or delete the file");
    return { file, hash, integrations: [], problems: [problem] };
  }
  const context = documentContext(file, options);
  const results = parsed.documents.map((doc) => loadDocument(doc, context));
  const named = firstOfEachName(file, results);
  const problems = [
    ...parsed.problems.map((p) => ({ file, ...p })),
    ...results.flatMap((r) => r.problems),
    ...named.problems,
  ];
  const unloaded = results.flatMap(({ name, nameAt }) =>
    name !== undefined && nameAt ? [{ name, ...nameAt }] : [],
  );
  const warnings = [
    ...results.flatMap((r) => r.warnings),
    ...(options.checkEditorSchema ? editorSchemaWarnings(file, decoded.text) : []),
  ];
  return {
    file,
    hash,
    integrations: named.integrations,
    problems: listFirst(sortProblems(problems), "problem"),
    ...(warnings.length > 0 ? { warnings: listFirst(sortProblems(warnings), "warning") } : {}),
    ...(READS_FILES.test(decoded.text) ? { readsFiles: true as const } : {}),
    ...(unloaded.length > 0 ? { unloaded } : {}),
  };
}

/**
 * Problems (and warnings) listed per file. A broken template repeated in every document
 * could otherwise turn a 1 MiB file into hundreds of thousands of lines in the log, the
 * status page and `/api/integrations`.
 */
export const MAX_LISTED_PER_FILE = 100;

/** The first problems of a file, and one line in their place for the rest. */
function listFirst(sorted: Problem[], kind: "problem" | "warning"): Problem[] {
  const next = sorted[MAX_LISTED_PER_FILE];
  if (!next) return sorted;
  const unlisted = sorted.length - MAX_LISTED_PER_FILE;
  const rest: Problem = {
    file: next.file,
    line: next.line,
    column: next.column,
    message: `${unlisted.toLocaleString("en")} more ${kind}s from here on are not listed; mend the ones above first`,
    unlisted,
  };
  return [...sorted.slice(0, MAX_LISTED_PER_FILE), rest];
}

/** Every problem, those a file's last line stands for included. */
export function countProblems(list: readonly Problem[]): number {
  return list.reduce((n, p) => n + (p.unlisted ?? 1), 0);
}

export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      compareText(a.file, b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      compareText(a.message, b.message),
  );
}

function at(file: string, message: string): Problem {
  return { file, line: 1, column: 1, message };
}

/**
 * The first document of each name; every later one is a problem and is left out, as a
 * duplicate across files is, so that no listing shows the refused one as loaded.
 */
function firstOfEachName(
  file: string,
  results: ReturnType<typeof loadDocument>[],
): { integrations: Integration[]; problems: Problem[] } {
  const firstLine = new Map<string, number>();
  const integrations: Integration[] = [];
  const problems: Problem[] = [];
  for (const { integration } of results) {
    if (!integration) continue;
    const seen = firstLine.get(integration.name);
    if (seen === undefined) {
      firstLine.set(integration.name, integration.source.line);
      integrations.push(integration);
      continue;
    }
    problems.push({
      file,
      line: integration.source.line,
      column: integration.source.column,
      integration: integration.name,
      message: `duplicate name "${integration.name}": already defined at line ${seen} of this file`,
    });
  }
  return { integrations, problems };
}

type Unreadable = { ok: false; message: string; hash: string; vanished?: true };
type Content = { ok: true; bytes: Buffer } | Unreadable;

/**
 * Reads at most `maxFileBytes`; refuses larger and non-regular files without reading them.
 * Synchronous on purpose: for many small files it is several times faster than promises.
 */
function readBounded(file: string): Content {
  // The path is part of it: two files that cannot be read are not the same content (a rename).
  const failed = (message: string, hash = sha256(`unreadable:${file}:${message}`)): Unreadable => ({
    ok: false,
    message,
    hash,
  });
  try {
    const read = readRegularFile(file, DEFAULTS.maxFileBytes);
    if (read.ok) return read;
    if (read.why === "not-regular")
      return failed("not a regular file; integration files must be regular files");
    const { size, mtimeMs } = read;
    return failed(
      tooLarge(size),
      mtimeMs === undefined ? undefined : sha256(`size:${size}:mtime:${mtimeMs}`),
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (code !== "ENOENT") return failed(`file cannot be read (${code})`);
    return { ...failed("file no longer exists"), vanished: true };
  }
}

function tooLarge(size: number): string {
  return `file is larger than 1 MiB (${size} bytes); split it into smaller files`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
