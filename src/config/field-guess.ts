/**
 * The field a mistyped name most likely means, for "did you mean" hints. Administrators
 * copying from an event write its own keys and paths (`outboundNumber`, `user.extension`),
 * which are a word or more away from the field's name, so those are looked up first.
 */
import { closest } from "./text.js";
import { FIELD_NAMES, FIELD_SOURCES, type FieldName } from "./types.js";

const SOURCES = Object.entries(FIELD_SOURCES).map(([field, path]) => ({
  field: field as FieldName,
  path: path.toLowerCase(),
}));

export function guessField(written: string): FieldName | undefined {
  const lower = written.toLowerCase();
  const exact = SOURCES.find(({ path }) => path === lower);
  if (exact) return exact.field;
  const ending = SOURCES.filter(({ path }) => path.endsWith(`.${lower}`));
  if (ending.length === 1) return ending[0]?.field;
  return closest(written, FIELD_NAMES);
}

/**
 * Whether a name written in braces may be repeated in a message: a field's name mistyped,
 * or a short word. Other text in braces may be part of a secret (`X-Api-Key: ab{Zq7Pa55}`).
 */
export function mayRepeat(name: string): boolean {
  return guessField(name) !== undefined || /^[A-Za-z_]{1,6}$/.test(name);
}
