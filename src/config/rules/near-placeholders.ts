/**
 * Braces around a field's name that are not the placeholder they look like. `{{name}}`, as
 * Mustache and Jinja write one, sends the value between braces (`{Alice Example}`), and
 * `{ name }` is sent as written, spaces and all, as is a path into the event copied from its
 * JSON (`{user.extension}`) or a name of several words (`{ext-number}`, `{first name}`).
 * In a text whose braces do not pair up, a brace missing or doubled beside a field's name
 * (`{name`, `name}`, `{name}}`, `{{name}`) is a slip of the same kind. The file is valid,
 * so `validate` warns.
 */
import { displayPath } from "../text.js";
import type { RawIntegration } from "../parse/raw.js";
import { guessField, mayRepeat } from "../field-guess.js";
import { isFieldName } from "../placeholders.js";
import { FIELD_NAMES } from "../types.js";
import { placeholderLiterals, type RuleProblem } from "./rules.js";

/** `{{name}}`: the placeholder inside is filled in, and its braces are kept around it. */
const DOUBLED = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;
/** `{ name }`, `{{ name }}`: no placeholder at all. */
const SPACED = /\{\{?(?:\s+([A-Za-z_][A-Za-z0-9_]*)\s*|([A-Za-z_][A-Za-z0-9_]*)\s+)\}\}?/g;
/** `{user.extension}`, `{ext-number}`, `{first name}`: words joined by dots, dashes or spaces. */
const JOINED = /\{([A-Za-z_][A-Za-z0-9_]*(?:(?:\.|-| +)[A-Za-z0-9_]+)+)\}/g;

/**
 * Text whose every brace is part of a `{name}`: none of the slips below can be in it, and
 * it is what nearly every template is, so the patterns are spared.
 */
const ONLY_PLACEHOLDERS = /^[^{}]*(?:\{[A-Za-z_][A-Za-z0-9_]*\}[^{}]*)*$/;

export function nearMissPlaceholders(raw: RawIntegration): RuleProblem[] {
  return placeholderLiterals(raw).flatMap(([path, literals]) => {
    const where = displayPath(path);
    const suspect = literals.filter((literal) => !ONLY_PLACEHOLDERS.test(literal));
    return suspect.flatMap((literal) => [
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
        message: `${where}: ${joinedText(written, words ?? "")} is sent as written, not as a placeholder, which is one field's name in braces${joinedHint(words ?? "")}`,
      })),
      ...unpairedBraces(literal).map((message) => ({ path, message: `${where}: ${message}` })),
    ]);
  });
}

/** The words in braces, unless they are long words of no field's (part of a secret, maybe). */
function joinedText(written: string, words: string): string {
  const repeatable = guessField(words) !== undefined || words.split(/[.\- ]+/).every(mayRepeat);
  return repeatable ? written : "a name of several words in braces";
}

function joinedHint(words: string): string {
  const guess = guessField(words);
  return guess ? ` (did you mean {${guess}}?)` : `; fields are: ${FIELD_NAMES.join(", ")}`;
}

const NAME = "[A-Za-z_][A-Za-z0-9_]*";
/** `{name` not closed (what follows is neither the rest of a name nor a `}` after spaces). */
const UNCLOSED = new RegExp(`\\{(${NAME})(?![A-Za-z0-9_}]|\\s*\\}|(?:\\.|-| +)[A-Za-z0-9_])`, "g");
/** `name}` not opened (no `{` before it in the same run of name characters). */
const UNOPENED = new RegExp(`(?<!\\{[A-Za-z0-9_.\\- ]*)(?<![A-Za-z0-9_])(${NAME})\\}`, "g");
/** `{name}}`: the placeholder, and a brace after it. */
const CLOSED_TWICE = new RegExp(`(?<!\\{)\\{(${NAME})\\}\\}`, "g");
/** `{{name}`: a brace, and the placeholder after it. */
const OPENED_TWICE = new RegExp(`\\{\\{(${NAME})\\}(?!\\})`, "g");

/**
 * Only where the text's braces do not pair up: `{"ext":{extensionNumber}}` is a template
 * that writes JSON, and its last brace is meant.
 */
function unpairedBraces(literal: string): string[] {
  const count = (brace: string) => literal.split(brace).length - 1;
  if (count("{") === count("}")) return [];
  const found = (pattern: RegExp, say: (name: string) => string) =>
    [...literal.matchAll(pattern)]
      .filter(([, name]) => isFieldName(name ?? ""))
      .map(([, name]) => say(name ?? ""));
  return [
    ...found(
      UNCLOSED,
      (name) =>
        `{${name} has no closing brace, so it is sent as written; a placeholder is {${name}}`,
    ),
    ...found(
      UNOPENED,
      (name) =>
        `${name}} has no opening brace, so it is sent as written; a placeholder is {${name}}`,
    ),
    ...found(
      CLOSED_TWICE,
      (name) => `{${name}}} sends a } after the value; a placeholder has one pair: {${name}}`,
    ),
    ...found(
      OPENED_TWICE,
      (name) => `{{${name}} sends a { before the value; a placeholder has one pair: {${name}}`,
    ),
  ];
}
