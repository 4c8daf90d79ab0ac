/**
 * Turns ajv's errors into one human message per mistake. `oneOf`, `anyOf` and `if`/`then`
 * produce an error per branch; those are collapsed to the branch the author meant,
 * or to one message that names the allowed forms. Where the schema expresses a rule
 * `rules.ts` also checks, the message is the rule's own.
 */
import type { ErrorObject } from "ajv";
import { collapseOneOf } from "./branch-errors.js";
import { typeMessage } from "./type-messages.js";
import { reservedHeaderMessage } from "../rules/header-rules.js";
import {
  INVALID_URL_MESSAGE,
  URL_USER_INFO_MESSAGE,
  urlPlaceholder,
  urlPlaceholderMessage,
} from "../rules/url-rules.js";
import {
  allowedItems,
  anyOfTypes,
  boundMessage,
  constMessage,
  headerNameMessage,
  inWhere,
  isMapping,
  itemsMessage,
  keyNotAllowed,
  noFormMessage,
  patternMessage,
  unknownKey,
  valueAt,
} from "./schema-messages.js";
import {
  closest,
  describeType,
  displayPath,
  listOr,
  pointerSegments,
  quote,
  typeWords,
  type PathSegment,
} from "../text.js";

/** A schema mistake at a place in the document; `onKey` points at the key rather than the value. */
export interface SchemaIssue {
  path: PathSegment[];
  onKey: boolean;
  message: string;
  /** The place the issue is about, when it is shown elsewhere (a missing key, at its parent). */
  about?: PathSegment[];
  /** An unknown key's likely meant one: a missing key it names needs no problem of its own. */
  suggests?: PathSegment[];
}

export type AjvError = ErrorObject & { propertyName?: string };

/** `data` is the validated document, used to name what a value was when ajv does not say. */
export function describeSchemaErrors(errors: readonly AjvError[], data: unknown): SchemaIssue[] {
  const kept = collapseOneOf(errors).filter(
    (e) => e.keyword !== "if" && e.keyword !== "propertyNames",
  );
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const issue = describe(error, data);
    const key = `${JSON.stringify(issue.path)}|${issue.onKey}|${issue.onKey ? issue.message : ""}`;
    if (seen.has(key)) continue; // one message per value: the first (most basic) error wins
    seen.add(key);
    issues.push(issue);
  }
  // `event:` for `events:` is one mistake: its "did you mean" says what the "missing" would.
  const suggested = new Set(
    issues.flatMap((i) => (i.suggests ? [JSON.stringify(i.suggests)] : [])),
  );
  return issues.filter((i) => !(i.about && suggested.has(JSON.stringify(i.about))));
}

/** One ajv error, the document it is about, and its place there (as segments and as written). */
export interface Mistake {
  error: AjvError;
  params: Record<string, unknown>;
  document: unknown;
  path: PathSegment[];
  where: string;
}

function describe(error: AjvError, document: unknown): SchemaIssue {
  const path = pointerSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const mistake: Mistake = { error, params, document, path, where: displayPath(path) };
  const { where } = mistake;
  switch (error.keyword) {
    case "required":
      return missingKeyIssue(mistake);
    case "additionalProperties":
      return unknownKey(error, path, String(params.additionalProperty));
    case "type":
      return issueAt(mistake, typeMessage(mistake));
    case "enum":
      return enumIssue(mistake);
    case "const":
      return issueAt(mistake, constMessage(error, where));
    case "pattern":
      return patternIssue(mistake);
    case "not":
      return notIssue(mistake);
    case "anyOf":
      return issueAt(mistake, anyOfMessage(mistake));
    case "uniqueItems":
      return repeatedItemIssue(mistake);
    case "minItems":
    case "maxItems":
      return issueAt(mistake, itemsMessage(where, error));
    case "minLength":
      return emptyIssue(mistake);
    case "minimum":
    case "maximum":
      return issueAt(mistake, boundMessage(path, where, error));
    case "oneOf":
      // A mapping that fits no form is pointed at by its key; a scalar at itself.
      return issueAt(mistake, noFormMessage(path, where, error.data), isMapping(error.data));
    default:
      return issueAt(mistake, ajvMessage(mistake));
  }
}

/** The issue of a mistake: at its value, or with `onKey` at a key (of `target`). */
function issueAt(
  mistake: Mistake,
  message: string,
  onKey = false,
  target = mistake.path,
): SchemaIssue {
  return { path: target, onKey, message };
}

/** ajv's own words, for a mistake no message of ours is about. */
function ajvMessage({ error, where }: Mistake): string {
  return `${where || "the document"} ${error.message ?? "is invalid"}`;
}

function missingKeyIssue(mistake: Mistake): SchemaIssue {
  const key = String(mistake.params.missingProperty);
  return {
    ...issueAt(mistake, `missing required key "${key}"${inWhere(mistake.where)}`, true),
    about: [...mistake.path, key],
  };
}

/** Only alternatives of type are left: e.g. a constant that is a list or a mapping. */
function anyOfMessage({ error, where }: Mistake): string {
  return `${where} must be ${typeWords(anyOfTypes(error))} (got ${describeType(error.data)})`;
}

function enumIssue(mistake: Mistake): SchemaIssue {
  const { error, params, document, path, where } = mistake;
  if (error.propertyName !== undefined) {
    return keyNotAllowed(error, path, valueAt(document, path));
  }
  const allowed = params.allowedValues as unknown[];
  const hint = enumGuess(error.data, allowed) || missingComma(error.data, allowed, path);
  return issueAt(mistake, `${where} must be ${listOr(allowed)} (got ${quote(error.data)})${hint}`);
}

/**
 * A list item made of allowed values with spaces between: a comma left out of a flow list
 * (`[user.created user.deleted]`, or one broken over lines) makes one item of them.
 */
function missingComma(data: unknown, allowed: readonly unknown[], path: PathSegment[]): string {
  const items = typeof path.at(-1) === "number" ? allowedItems(data, allowed, /\s+/) : undefined;
  if (items === undefined || items.length < 2) return "";
  return `: ${items.length} items read as one; write [${items.join(", ")}], or a "- " line for each`;
}

function patternIssue(mistake: Mistake): SchemaIssue {
  const { error, path, where } = mistake;
  if (error.propertyName !== undefined) {
    return issueAt(mistake, headerNameMessage(error.propertyName), true, [
      ...path,
      error.propertyName,
    ]);
  }
  return issueAt(mistake, patternMessage(path, where, error.data));
}

function notIssue(mistake: Mistake): SchemaIssue {
  const { error, document, path, where } = mistake;
  if (error.propertyName !== undefined) {
    // A header name hookswitch sets itself (always, or Authorization by webhook.auth).
    const authType = valueAt(document, ["webhook", "auth", "type"]);
    const message = reservedHeaderMessage(
      error.propertyName,
      typeof authType === "string" ? authType : "none",
    );
    return issueAt(mistake, message, true, [...path, error.propertyName]);
  }
  if (where === "webhook.url") return issueAt(mistake, urlNotMessage(error));
  return issueAt(mistake, ajvMessage(mistake));
}

/**
 * The URL's `not`s: user-info (allOf/0), placeholders (allOf/1), what no URL parser
 * takes (allOf/2: no host, a port past 65535, an open bracket, a bad % in the host).
 */
function urlNotMessage(error: AjvError): string {
  if (error.schemaPath.includes("/allOf/2/")) return INVALID_URL_MESSAGE;
  const placeholder = urlPlaceholder(String(error.data));
  const placeholderNot = error.schemaPath.includes("/allOf/1/");
  return placeholderNot && placeholder ? urlPlaceholderMessage(placeholder) : URL_USER_INFO_MESSAGE;
}

function repeatedItemIssue(mistake: Mistake): SchemaIssue {
  const { error, params, path, where } = mistake;
  const index = Math.max(Number(params.i), Number(params.j));
  const item = (error.data as unknown[])[index];
  return issueAt(mistake, `${where} lists ${quote(item)} more than once`, false, [...path, index]);
}

function emptyIssue(mistake: Mistake): SchemaIssue {
  const { error, path, where } = mistake;
  if (error.propertyName !== undefined) {
    return issueAt(mistake, `empty or null (~) key in ${where}: a key must be text`, true, [
      ...path,
      error.propertyName,
    ]);
  }
  return issueAt(mistake, `${where} must not be empty`);
}

/** Other names of a value: `Authorization: Bearer …` is what auth type token sends. */
const SYNONYMS: Readonly<Record<string, string>> = { bearer: "token", "bearer token": "token" };

/**
 * " (did you mean …?)" for text a letter or two from one of the values allowed; not for words
 * of three letters or fewer, which are a letter or two from many (`PUT` is no `GET`).
 */
function enumGuess(data: unknown, allowed: readonly unknown[]): string {
  if (typeof data !== "string") return "";
  const synonym = SYNONYMS[data.trim().toLowerCase()];
  if (synonym !== undefined && allowed.includes(synonym))
    return ` (did you mean ${quote(synonym)}?)`;
  if (data.length < 4) return "";
  const texts = allowed.filter((value): value is string => typeof value === "string");
  // `created` for `user.created`: the part after the dot, too far by letters for `closest`.
  const ends = texts.filter((value) => value.endsWith(`.${data}`));
  const guess = ends.length === 1 ? ends[0] : closest(data, texts);
  return guess === undefined || guess === data ? "" : ` (did you mean ${quote(guess)}?)`;
}
