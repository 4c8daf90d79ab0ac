/** Small helpers that turn data and paths into words for problem messages. */
import { invisibleNote, quoteVisibly } from "./parse/invisible.js";

export type PathSegment = string | number;

/** `webhook.headers.X-Source`, `trigger.events[1]`, `webhook.headers["a b"]`; "" for the top level. */
export function displayPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${quoteVisibly(segment)}]`;
  }
  return text;
}

/** Splits an ajv instancePath (JSON pointer) into segments; array indices become numbers. */
export function pointerSegments(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** "a", "a or b", "a, b or c". */
export function listOr(items: readonly unknown[]): string {
  const words = items.map(String);
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/**
 * A short, quoted rendering of a value written in a file (for "(got …)"); a character one
 * cannot see is escaped and named, or `(got "POST")` would read as if POST were refused.
 */
export function quote(value: unknown): string {
  if (typeof value !== "string") return describeType(value);
  const text = quoteVisibly(value);
  const short = text.length > 60 ? `${text.slice(0, 57)}…"` : text;
  const note = invisibleNote(value);
  return note ? `${short}: ${note}` : short;
}

/** The YAML-ish name of a value's type; never the value itself (it may be a secret). */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "true/false";
  if (typeof value === "number") {
    // YAML's .inf and .nan: numbers to YAML, but no JSON payload can carry them.
    if (!Number.isFinite(value)) return Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
    return Number.isInteger(value) ? "a whole number" : "a number";
  }
  return typeof value;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true/false",
  object: "a mapping",
  array: "a list",
  null: "null",
};

/** "a string", "a string, a number, true or false or null". */
export function typeWords(type: string | string[]): string {
  return listOr((Array.isArray(type) ? type : [type]).map((t) => TYPE_WORDS[t] ?? t));
}

/** The candidate `word` abbreviates, or the closest one at most two edits away (case-insensitive). */
export function closest<T extends string>(word: string, candidates: readonly T[]): T | undefined {
  const lower = word.toLowerCase();
  const extended = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  if (word.length >= 3 && extended.length === 1) return extended[0];
  let best: T | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 3;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * A count written in decimal digits only, as an operator means it: `Number()` alone also
 * takes `0x10`, `1e3`, `0b11` and `" 7 "`, which no one writes for a number of requests.
 */
export function wholeNumber(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The first `max` characters of a text from outside (an event's id or account may be
 * 960 KB) and an ellipsis, or the text itself when it is no longer; a surrogate pair cut in
 * two becomes U+FFFD.
 */
export function startOf(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max).toWellFormed()}…`;
}

/** Byte-order comparison: the same order on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The 1-based line and column (in UTF-16 code units, as editors count) of `offset` in `text`. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}
