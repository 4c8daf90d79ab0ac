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
  // One path, pushed and popped, copied only where a reference is found; a container is
  // rebuilt only when something inside it changed. A file without references costs a walk.
  const path: PathSegment[] = [];
  // What the document's resolved strings weigh together. Each may be 1 MiB, but 13,000
  // fields naming one large file were a valid integration whose body was 13 GB to build.
  let resolvedBytes = 0;
  const visit = (value: unknown): unknown => {
    if (typeof value === "string")
      return value.includes("${") ? applyToString(value, [...path]) : value;
    if (value === null || typeof value !== "object") return value;
    const entries: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((item, i) => [i, item])
      : Object.entries(value);
    let changed = false;
    const next = entries.map(([key, item]) => {
      path.push(key);
      const visited = visit(item);
      path.pop();
      changed ||= visited !== item;
      return visited;
    });
    if (!changed) return value;
    // fromEntries defines keys: a "__proto__" key stays a plain key.
    return Array.isArray(value) ? next : Object.fromEntries(entries.map(([k], i) => [k, next[i]]));
  };
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
  return { value: visit(data), problems, literals, secrets, unresolved };
}

/** What the secret policy refuses among the references, judged in every mode. */
function refusals(segments: Segment[], sources: SecretSources): string | undefined {
  const { refuse } = sources;
  if (!refuse) return undefined;
  const why = segments.flatMap((s) => (s.kind === "text" ? [] : (refuse(s) ?? [])));
  return why.length > 0 ? namedFirst(why) : undefined;
}
