/**
 * `{field}` placeholders in path arguments, header values and templates. A placeholder
 * is an identifier in braces; other braces (e.g. JSON text) are literal.
 */
import { FIELD_NAMES, type FieldName } from "./types.js";

/**
 * `{fieldName}`: the one pattern validation and rendering read placeholders by. Global, for
 * `matchAll` and `replace`, which start afresh; `test` or `exec` would carry `lastIndex`.
 */
export const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of every placeholder in the text, in order. */
export function placeholderNames(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
}

const FIELD_SET: ReadonlySet<string> = new Set(FIELD_NAMES);

export function isFieldName(name: string): name is FieldName {
  return FIELD_SET.has(name);
}

/** Replaces every known placeholder with `valueOf(field)`; unknown ones stay as written. */
export function fillPlaceholders(text: string, valueOf: (field: FieldName) => string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    isFieldName(name) ? valueOf(name) : whole,
  );
}
