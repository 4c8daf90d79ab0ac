/**
 * Braces around a field's name that are not the placeholder they look like. `{{name}}`, as
 * Mustache and Jinja write one, sends the value between braces (`{Alice Example}`), and
 * `{ name }` is sent as written, spaces and all, as is a path into the event copied from its
 * JSON (`{user.extension}`) or a name of several words (`{ext-number}`, `{first name}`):
 * the file is valid, so `validate` warns.
 */
import { displayPath } from "../text.js";
import type { RawIntegration } from "../parse/raw.js";
import { guessField } from "../field-guess.js";
import { isFieldName } from "../placeholders.js";
import { FIELD_NAMES } from "../types.js";
import { placeholderLiterals, type RuleProblem } from "./rules.js";

/** `{{name}}`: the placeholder inside is filled in, and its braces are kept around it. */
const DOUBLED = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;
/** `{ name }`, `{{ name }}`: no placeholder at all. */
const SPACED = /\{\{?(?:\s+([A-Za-z_][A-Za-z0-9_]*)\s*|([A-Za-z_][A-Za-z0-9_]*)\s+)\}\}?/g;
/** `{user.extension}`, `{ext-number}`, `{first name}`: words joined by dots, dashes or spaces. */
const JOINED = /\{([A-Za-z_][A-Za-z0-9_]*(?:(?:\.|-| +)[A-Za-z0-9_]+)+)\}/g;

export function nearMissPlaceholders(raw: RawIntegration): RuleProblem[] {
  return placeholderLiterals(raw).flatMap(([path, literals]) => {
    const where = displayPath(path);
    return literals.flatMap((literal) => [
      ...[...literal.matchAll(DOUBLED)]
        .filter(([, name]) => isFieldName(name ?? ""))
        .map(([written, name]) => ({
          path,
          message: `${where}: ${written} sends the value between braces ({${name}} filled in, inside { and }); a placeholder has one pair: {${name}}`,
        })),
      ...[...literal.matchAll(SPACED)]
        .filter(([, before, after]) => isFieldName(before ?? after ?? ""))
        .map(([written, before, after]) => ({
          path,
          message: `${where}: ${written} is sent as written, not as a placeholder, which has no spaces: {${before ?? after}}`,
        })),
      ...[...literal.matchAll(JOINED)].map(([written, words]) => ({
        path,
        message: `${where}: ${written} is sent as written, not as a placeholder, which is one field's name in braces${joinedHint(words ?? "")}`,
      })),
    ]);
  });
}

function joinedHint(words: string): string {
  const guess = guessField(words);
  return guess ? ` (did you mean {${guess}}?)` : `; fields are: ${FIELD_NAMES.join(", ")}`;
}
