/**
 * Applies secret references to every string value of a schema-valid document: checks
 * their syntax, and in "resolve" mode replaces them with the secrets they name.
 * Keys are never references. Messages name the variable or file, never a value.
 */
import type { RuleProblem } from "./rules.js";
import { parseReferences, resolveSegments, type SecretSources } from "./secrets.js";
import { displayPath, type PathSegment } from "./text.js";

export type SecretMode = "resolve" | "keep";

export interface ReferenceResult {
  value: unknown;
  problems: RuleProblem[];
  /** Every non-empty value a reference resolved to. */
  secrets: string[];
}

export function applyReferences(
  data: unknown,
  mode: SecretMode,
  sources: SecretSources,
): ReferenceResult {
  const problems: RuleProblem[] = [];
  const secrets: string[] = [];
  const visit = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === "string") return applyToString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, i]));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v, [...path, k])]));
    }
    return value;
  };
  const applyToString = (text: string, path: PathSegment[]): string => {
    if (!text.includes("${")) return text;
    const parsed = parseReferences(text);
    if (!parsed.ok) {
      problems.push({ path, message: `${displayPath(path)}: ${parsed.message}` });
      return text;
    }
    if (mode === "keep") return text;
    const resolved = resolveSegments(parsed.segments, sources);
    if (!resolved.ok) {
      problems.push({ path, message: `${displayPath(path)}: ${resolved.message}` });
      return text;
    }
    secrets.push(...resolved.secrets);
    return resolved.value;
  };
  return { value: visit(data, []), problems, secrets };
}
