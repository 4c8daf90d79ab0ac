/**
 * Secret references inside string values: `${env:NAME}`, `${file:/path}` and the `$${`
 * escape for a literal `${`. Parsing is pure; resolution takes the environment and a
 * file reader as arguments so callers decide where secrets come from.
 * Nothing here ever puts a secret value into a message.
 */
import { readReference } from "./secret-files.js";
import type { TextRange } from "./types.js";

/**
 * Literal text, or a reference. An escaped `${` is literal text of its own (`escaped`):
 * its brace opens no `{field}` placeholder, as no secret's text does.
 */
export type Segment =
  | { kind: "text"; text: string; escaped?: true }
  | { kind: "env"; name: string }
  | { kind: "file"; path: string };

export type ParsedReferences = { ok: true; segments: Segment[] } | { ok: false; message: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const USAGE = "write ${env:NAME} or ${file:/path}, or $${ for a literal ${";

/** Splits a string into literal text and references; malformed references are reported. */
export function parseReferences(text: string): ParsedReferences {
  const segments: Segment[] = [];
  let literal = "";
  let index = 0;
  while (index < text.length) {
    const start = text.indexOf("${", index);
    if (start === -1) break;
    if (start > 0 && text[start - 1] === "$") {
      // `$${` is the escape: one `$` and the brace, as literal text of their own.
      literal += text.slice(index, start - 1);
      if (literal) segments.push({ kind: "text", text: literal });
      literal = "";
      segments.push({ kind: "text", text: "${", escaped: true });
      index = start + 2;
      continue;
    }
    const end = text.indexOf("}", start);
    if (end === -1)
      return {
        ok: false,
        message: `unterminated reference "${kindOf(text.slice(start))}…": end it with }; ${USAGE}`,
      };
    const reference = parseReference(text.slice(start + 2, end));
    if (!reference)
      return {
        ok: false,
        message: `malformed reference "${shownReference(text.slice(start, end + 1))}": ${USAGE}`,
      };
    literal += text.slice(index, start);
    if (literal) segments.push({ kind: "text", text: literal });
    literal = "";
    segments.push(reference);
    index = end + 1;
  }
  literal += text.slice(index);
  if (literal) segments.push({ kind: "text", text: literal });
  return { ok: true, segments };
}

function parseReference(body: string): Segment | undefined {
  if (body.startsWith("env:")) {
    const name = body.slice(4);
    return ENV_NAME.test(name) ? { kind: "env", name } : undefined;
  }
  if (body.startsWith("file:")) {
    const path = body.slice(5);
    return path.trim() === path && path.length > 0 ? { kind: "file", path } : undefined;
  }
  return undefined;
}

/**
 * A reference that does not parse is shown only when it is short and of one word: what
 * follows a `${` left open, or a long or spaced one, may be a secret pasted in its place.
 * The text shown is the reference syntax, never a resolved value.
 */
function shownReference(written: string): string {
  return written.length <= 40 && /^\$\{[^\s,]*\}$/.test(written) ? written : `${kindOf(written)}…`;
}

/** `${env:`, `${file:` or `${`: how a reference starts, and no more. */
function kindOf(written: string): string {
  return /^\$\{(?:env:|file:)?/.exec(written)?.[0] ?? "${";
}

export interface SecretSources {
  env: NodeJS.ProcessEnv;
  /** Returns a file's text or throws; `path` is as written in the reference. */
  readFile: (path: string) => string;
  /** The absolute path a relative `path` names (beside the integration file), for messages. */
  locate?: (path: string) => string;
  /** Why a reference may not be used at all (`--secrets-dir`, `--secret-env-prefix`). */
  refuse?: (reference: Exclude<Segment, { kind: "text" }>) => string | undefined;
}

/**
 * The final string, and where in it is text the file did not write as such: each secret's
 * value and each escaped `${` (no `{field}` placeholder is read there).
 */
export type Resolution =
  | { ok: true; value: string; literals: TextRange[]; secrets: string[]; bytes: number }
  | { ok: false; message: string };

/**
 * The most one string may be once its references are put in, in UTF-8 bytes: as large as
 * an integration file may be. Six hundred references to one large file would otherwise
 * build a string of half a gigabyte, or fail to (V8's limit), and with it the whole load.
 */
export const MAX_RESOLVED_BYTES = 1024 * 1024;

/** Failures named in one message; the rest are counted (a file may repeat one 100,000 times). */
const MAX_NAMED_FAILURES = 5;

/**
 * Joins segments into the final string, reading each referenced secret. Every reference
 * that cannot be read is named (up to `MAX_NAMED_FAILURES`), not only the first: one fix,
 * one run of `validate`. Past that many, or once the file's secrets have used up what it
 * may read, the other references are counted, not read: a string of 50,000 references to
 * files that cannot be read took 30 s to refuse. The size is summed before the string is
 * built, which it then is only when it is at most `MAX_RESOLVED_BYTES`.
 */
export function resolveSegments(segments: Segment[], sources: SecretSources): Resolution {
  const failures: string[] = [];
  const found = new Map<string, { value: string; bytes: number } | undefined>();
  const unread = new Set<string>();
  let stop = false;
  let bytes = 0;
  for (const segment of segments) {
    // Past the limit, nothing more is read: a string naming many large files is refused
    // for the first that takes it past, not after every one is in memory.
    if (bytes > MAX_RESOLVED_BYTES) break;
    if (segment.kind === "text") {
      bytes += Buffer.byteLength(segment.text);
      continue;
    }
    const key = referenceKey(segment);
    if (!found.has(key) && stop) {
      unread.add(key);
      continue;
    }
    if (!found.has(key)) {
      const resolved = readReference(segment, sources);
      if (!resolved.ok) failures.push(resolved.message);
      if (!resolved.ok && (resolved.budget || failures.length >= MAX_NAMED_FAILURES)) stop = true;
      const value = resolved.ok ? resolved.value : undefined;
      found.set(key, value === undefined ? undefined : { value, bytes: Buffer.byteLength(value) });
    }
    bytes += found.get(key)?.bytes ?? 0;
  }
  if (failures.length > 0) {
    const rest = unread.size === 0 ? "" : `; and ${unread.size.toLocaleString("en")} more`;
    return { ok: false, message: namedFirst(failures) + rest };
  }
  if (bytes > MAX_RESOLVED_BYTES) {
    const count = segments.filter((s) => s.kind !== "text").length;
    return {
      ok: false,
      message:
        `resolves to more than 1 MiB (${count.toLocaleString("en")} references); ` +
        "a value may be at most 1 MiB: reference fewer or smaller secrets",
    };
  }
  const secrets: string[] = [];
  const joined = joinSegments(segments, (segment) => {
    const value = found.get(referenceKey(segment))!.value;
    secrets.push(value);
    return value;
  });
  return { ok: true, ...joined, secrets, bytes };
}

function referenceKey(reference: Exclude<Segment, { kind: "text" }>): string {
  return reference.kind === "env" ? `env:${reference.name}` : `file:${reference.path}`;
}

/**
 * Distinct messages, the first few named and the others counted: a file that repeats one
 * refused reference 100,000 times made a problem of 7 MB, in one log line and on the status page.
 */
export function namedFirst(messages: readonly string[]): string {
  const times = new Map<string, number>();
  for (const message of messages) times.set(message, (times.get(message) ?? 0) + 1);
  const named = [...times].slice(0, MAX_NAMED_FAILURES).map(([message, n]) => {
    return n > 1 ? `${message} (${n.toLocaleString("en")} times)` : message;
  });
  const rest = times.size - named.length;
  if (rest > 0) named.push(`and ${rest.toLocaleString("en")} more`);
  return named.join("; ");
}

/**
 * A string's final value when it is known: `resolved` (its references were put in), or
 * written without references (an escaped `$${` is then the `${` it stands for);
 * undefined while a reference is in it, or one is malformed.
 */
export function knownValue(text: string, resolved: boolean): string | undefined {
  if (resolved || !text.includes("${")) return text;
  const parsed = parseReferences(text);
  if (!parsed.ok || parsed.segments.some((s) => s.kind !== "text")) return undefined;
  return joinSegments(parsed.segments, () => "").value;
}

/** Joins segments, each reference as `valueOf` gives it, noting where references and escapes went. */
export function joinSegments(
  segments: Segment[],
  valueOf: (reference: Exclude<Segment, { kind: "text" }>) => string,
): { value: string; literals: TextRange[] } {
  let value = "";
  const literals: TextRange[] = [];
  for (const segment of segments) {
    const text = segment.kind === "text" ? segment.text : valueOf(segment);
    if (segment.kind !== "text" || segment.escaped)
      literals.push([value.length, value.length + text.length]);
    value += text;
  }
  return { value, literals };
}

/**
 * The text written as such, in the stretches between references and escapes: where
 * `{field}` placeholders are read.
 */
export function literalText(segments: Segment[]): string[] {
  return segments.flatMap((s) => (s.kind === "text" && !s.escaped ? [s.text] : []));
}

/** The literal text between references, escapes written out as `${` (as a URL reads). */
export function textBetweenReferences(segments: Segment[]): string[] {
  const runs: string[] = [];
  let run: string | undefined;
  for (const segment of segments) {
    if (segment.kind === "text") {
      run = (run ?? "") + segment.text;
      continue;
    }
    if (run !== undefined) runs.push(run);
    run = undefined;
  }
  if (run !== undefined) runs.push(run);
  return runs;
}
