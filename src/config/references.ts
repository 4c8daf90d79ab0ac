/**
 * Applies secret references to every string value of a schema-valid document: checks
 * their syntax, and in "resolve" mode replaces them with the secrets they name.
 * Keys are never references. Messages name the variable or file, never a value.
 */
import type { RuleProblem } from "./rules/rules.js";
import {
  MAX_RESOLVED_BYTES,
  joinSegments,
  namedFirst,
  parseReferences,
  resolveSegments,
  type Segment,
  type SecretSources,
} from "./secrets.js";
import type { TextRange } from "./types.js";
import { displayPath, type PathSegment } from "./text.js";

/**
 * "resolve" puts in the secrets; "keep" leaves the references as written; "mark" puts
 * `SECRET_MARK` where each reference is, so that output can show where secrets went
 * without them (a masked `render`, a dead letter's request).
 */
export type SecretMode = "resolve" | "keep" | "mark";

/**
 * Stands in for a secret in a marked document. Lower-case letters and digits only: URL,
 * form and JSON encoding, header cleaning and a host name's lower-casing leave it as it is.
 */
export const SECRET_MARK = "hookswitchsecret7f3q9x";

/** A marked URL that no longer parses (a whole URL from one reference, a marked port). */
export const OPAQUE_URL = `http://${SECRET_MARK}/`;

export interface ReferenceResult {
  value: unknown;
  problems: RuleProblem[];
  /**
   * In "resolve" and "mark" modes, the strings with text the file did not write as such
   * (a secret, a mark, an escaped `${`), and where it is: no placeholder is read there.
   */
  literals: LiteralText[];
  /**
   * In "resolve" mode, where references were resolved (the paths of the strings that held
   * them) and the secrets put in there.
   */
  secrets: ResolvedSecrets[];
  /**
   * The strings left as written although they hold references (`pathKey`): refused, or not
   * resolved in "resolve" mode. Rules judge every other string as final.
   */
  unresolved: Set<string>;
}

/** A path as a key of `unresolved`. */
const pathKey = (path: readonly PathSegment[]): string => JSON.stringify(path);

/**
 * Whether the string at `path` is final for the rules: references were resolved and this
 * one's too. One secret not set leaves the others' values to judge, so that one round of
 * fixes sees every problem.
 */
export function resolvedAt(
  input: { resolved: boolean; unresolved?: ReadonlySet<string> },
  path: readonly PathSegment[],
): boolean {
  return input.resolved && !(input.unresolved?.has(pathKey(path)) ?? false);
}

export interface ResolvedSecrets {
  path: PathSegment[];
  values: string[];
}

export interface LiteralText {
  path: PathSegment[];
  ranges: TextRange[];
}

export function applyReferences(
  data: unknown,
  mode: SecretMode,
  sources: SecretSources,
): ReferenceResult {
  const problems: RuleProblem[] = [];
  const literals: LiteralText[] = [];
  const secrets: ResolvedSecrets[] = [];
  const unresolved = new Set<string>();
  // What the document's resolved strings weigh together. Each may be 1 MiB, but 13,000
  // fields naming one large file were a valid integration whose body was 13 GB to build.
  let resolvedBytes = 0;
  const applyToString = (text: string, path: PathSegment[]): string => {
    if (!text.includes("${")) return text;
    /** Left as written, with why when it is a problem. */
    const asWritten = (why?: string): string => {
      if (why !== undefined) problems.push({ path, message: `${displayPath(path)}: ${why}` });
      unresolved.add(pathKey(path));
      return text;
    };
    const parsed = parseReferences(text);
    if (!parsed.ok) return asWritten(parsed.message);
    const refused = refusals(parsed.segments, sources);
    if (refused) return asWritten(refused);
    if (mode === "keep" || resolvedBytes > MAX_RESOLVED_BYTES) return asWritten();
    const joined =
      mode === "mark"
        ? { ok: true as const, ...joinSegments(parsed.segments, () => SECRET_MARK) }
        : resolveSegments(parsed.segments, sources);
    if (!joined.ok) return asWritten(joined.message);
    if ("bytes" in joined) resolvedBytes += joined.bytes;
    if (resolvedBytes > MAX_RESOLVED_BYTES) {
      return asWritten(
        "the strings with references of this integration resolve to more than 1 MiB in all, with this one; reference fewer or smaller secrets",
      );
    }
    if ("secrets" in joined && joined.secrets.length > 0) {
      secrets.push({ path, values: joined.secrets });
    }
    if (joined.literals.length > 0) literals.push({ path, ranges: joined.literals });
    return joined.value;
  };
  // A file without references costs a walk.
  const value = mapStrings(data, [], (text, path) =>
    text.includes("${") ? applyToString(text, [...path]) : text,
  );
  return { value, problems, literals, secrets, unresolved };
}

/**
 * `value` with each string put through `replace`, which gets its path. One path array is
 * pushed and popped (`replace` copies it to keep it), and a container is copied only when
 * something inside it changed.
 */
function mapStrings(
  value: unknown,
  path: PathSegment[],
  replace: (text: string, path: readonly PathSegment[]) => string,
): unknown {
  if (typeof value === "string") return replace(value, path);
  if (value === null || typeof value !== "object") return value;
  const visit = (item: unknown, key: PathSegment): unknown => {
    path.push(key);
    const visited = mapStrings(item, path, replace);
    path.pop();
    return visited;
  };
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    let next: unknown[] | undefined;
    items.forEach((item, i) => {
      const visited = visit(item, i);
      if (visited !== item) (next ??= [...items])[i] = visited;
    });
    return next ?? items;
  }
  const record = value as Record<string, unknown>;
  let next: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const visited = visit(item, key);
    if (visited === item) continue;
    // fromEntries defines every key as the copy's own, so a "__proto__" key stays a plain
    // key, and writing it writes that key, not the prototype.
    next ??= Object.fromEntries(Object.entries(record));
    next[key] = visited;
  }
  return next ?? record;
}

/** What the secret policy refuses among the references, judged in every mode. */
function refusals(segments: Segment[], sources: SecretSources): string | undefined {
  const { refuse } = sources;
  if (!refuse) return undefined;
  const why = segments.flatMap((s) => (s.kind === "text" ? [] : (refuse(s) ?? [])));
  return why.length > 0 ? namedFirst(why) : undefined;
}
