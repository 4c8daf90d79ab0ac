/**
 * Turns ajv's errors into one human message per mistake. `oneOf`, `anyOf` and `if`/`then`
 * produce an error per branch; those are collapsed to the branch the author meant,
 * or to one message that names the allowed forms. Where the schema expresses a rule
 * `rules.ts` also checks, the message is the rule's own.
 */
import type { ErrorObject } from "ajv";
import { reservedHeaderMessage } from "../rules/header-rules.js";
import {
  INVALID_URL_MESSAGE,
  URL_USER_INFO_MESSAGE,
  urlPlaceholder,
  urlPlaceholderMessage,
} from "../rules/url-rules.js";
import {
  anyOfTypes,
  boundMessage,
  bracedText,
  constMessage,
  DURATION_HINT,
  headerNameMessage,
  inWhere,
  isDurationPath,
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

function collapseOneOf(errors: readonly AjvError[]): AjvError[] {
  let result = [...errors];
  // Inner alternatives come first in ajv's order, so an outer `oneOf` sees them collapsed.
  for (const oneOf of errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf")) {
    if (!result.includes(oneOf)) continue;
    const prefix = `${oneOf.schemaPath}/`;
    const branchErrors = result.filter(
      (e) => e.schemaPath.startsWith(prefix) && isAtOrBelow(e.instancePath, oneOf.instancePath),
    );
    result = result.filter((e) => e !== oneOf && !branchErrors.includes(e));
    // An error on the object itself or on its `type` already says what is wrong.
    const at = oneOf.instancePath;
    const explained = result.some((e) => e.instancePath === at || e.instancePath === `${at}/type`);
    if (explained) continue;
    const best = Array.isArray(oneOf.params.passingSchemas)
      ? undefined
      : bestBranch(oneOf, branchErrors);
    result.push(...(best ?? [oneOf]));
  }
  return result;
}

function isAtOrBelow(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

/**
 * The only branch whose shape matches the data (its errors are not about type or kind):
 * the one with the fewest errors about the value itself (a missing or unknown key), then
 * with the fewest errors in all.
 */
function bestBranch(oneOf: AjvError, branchErrors: AjvError[]): AjvError[] | undefined {
  const byBranch = new Map<string, AjvError[]>();
  for (const error of branchErrors) {
    const branch = error.schemaPath.slice(oneOf.schemaPath.length + 1).split("/")[0] ?? "";
    byBranch.set(branch, [...(byBranch.get(branch) ?? []), error]);
  }
  const at = oneOf.instancePath;
  const ranked = [...byBranch.values()]
    .filter((errs) => !errs.some((e) => isDiscriminating(e, at)))
    .map((errs) => ({ errs, onValue: errs.filter((e) => e.instancePath === at).length }));
  const order = (a: (typeof ranked)[number], b: (typeof ranked)[number]) =>
    a.onValue - b.onValue || a.errs.length - b.errs.length;
  const [first, second] = ranked.sort(order);
  if (!first || (second && order(first, second) === 0)) return undefined;
  return first.errs;
}

/** An error that says the data is of another kind than this branch describes. */
function isDiscriminating(error: AjvError, at: string): boolean {
  const kindKeyword = ["type", "enum", "const"].includes(error.keyword);
  if (error.instancePath === at) return kindKeyword && error.propertyName === undefined;
  return error.keyword === "const" && error.instancePath === `${at}/type`;
}

function describe(error: AjvError, document: unknown): SchemaIssue {
  const path = pointerSegments(error.instancePath);
  const where = displayPath(path);
  const at = (message: string, onKey = false, target = path): SchemaIssue => ({
    path: target,
    onKey,
    message,
  });
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required": {
      const key = String(params.missingProperty);
      return {
        ...at(`missing required key "${key}"${inWhere(where)}`, true),
        about: [...path, key],
      };
    }
    case "additionalProperties":
      return unknownKey(error, path, String(params.additionalProperty));
    case "type":
      if (isDurationPath(path)) {
        return at(`${where} must be ${DURATION_HINT} (got ${describeType(error.data)})`);
      }
      if (params.type === "boolean" && typeof error.data === "string") {
        const word = booleanWordMessage(where, error.data);
        if (word) return at(word);
      }
      return at(
        `${where || "the document"} must be ${typeWords(params.type as string)} (got ${describeType(error.data)})${textWanted(params.type) ? bracedText(error.data) : ""}`,
      );
    case "enum":
      if (error.propertyName !== undefined) {
        return keyNotAllowed(error, path, valueAt(document, path));
      }
      return at(
        `${where} must be ${listOr(params.allowedValues as unknown[])} (got ${quote(error.data)})${enumGuess(error.data, params.allowedValues as unknown[])}`,
      );
    case "const":
      return at(constMessage(error, where));
    case "pattern":
      if (error.propertyName !== undefined) {
        return at(headerNameMessage(error.propertyName), true, [...path, error.propertyName]);
      }
      return at(patternMessage(path, where, error.data));
    case "not":
      if (error.propertyName !== undefined) {
        // A header name hookswitch sets itself (always, or Authorization by webhook.auth).
        const authType = valueAt(document, ["webhook", "auth", "type"]);
        const message = reservedHeaderMessage(
          error.propertyName,
          typeof authType === "string" ? authType : "none",
        );
        return at(message, true, [...path, error.propertyName]);
      }
      if (where === "webhook.url") {
        // The URL's `not`s: user-info (allOf/0), placeholders (allOf/1), what no URL parser
        // takes (allOf/2: no host, a port past 65535, an open bracket, a bad % in the host).
        if (error.schemaPath.includes("/allOf/2/")) return at(INVALID_URL_MESSAGE);
        const placeholder = urlPlaceholder(String(error.data));
        const placeholderNot = error.schemaPath.includes("/allOf/1/");
        return at(
          placeholderNot && placeholder
            ? urlPlaceholderMessage(placeholder)
            : URL_USER_INFO_MESSAGE,
        );
      }
      return at(`${where || "the document"} ${error.message ?? "is invalid"}`);
    case "anyOf":
      // Only alternatives of type are left: e.g. a constant that is a list or a mapping.
      return at(
        `${where} must be ${typeWords(anyOfTypes(error))} (got ${describeType(error.data)})`,
      );
    case "uniqueItems": {
      const index = Math.max(Number(params.i), Number(params.j));
      const item = (error.data as unknown[])[index];
      return at(`${where} lists ${quote(item)} more than once`, false, [...path, index]);
    }
    case "minItems":
    case "maxItems":
      return at(itemsMessage(where, error));
    case "minLength":
      if (error.propertyName !== undefined) {
        return at(`empty or null (~) key in ${where}: a key must be text`, true, path);
      }
      return at(`${where} must not be empty`);
    case "minimum":
    case "maximum":
      return at(boundMessage(path, where, error));
    case "oneOf":
      // A mapping that fits no form is pointed at by its key; a scalar at itself.
      return at(noFormMessage(path, where, error.data), isMapping(error.data));
    default:
      return at(`${where || "the document"} ${error.message ?? "is invalid"}`);
  }
}

/** A type error where only text is allowed (a constant's `{name}` would not be filled in). */
function textWanted(type: unknown): boolean {
  return type === "string";
}

/**
 * `enabled: no`: YAML 1.1 read yes/no/on/off/y/n as true and false, and many still expect
 * it; files are YAML 1.2, which reads them as text. Only such a word is echoed: any other
 * string is named by its type, as a value may be a secret.
 */
function booleanWordMessage(where: string, text: string): string | undefined {
  const meant = /^(?:y|yes|on|true)$/i.test(text)
    ? "true"
    : /^(?:n|no|off|false)$/i.test(text)
      ? "false"
      : undefined;
  if (!meant) return undefined;
  const why = /^(?:true|false)$/i.test(text)
    ? "in quotes, it is text"
    : `YAML 1.2 reads ${text} as text, not as ${meant}`;
  return `${where} must be true/false (got ${quote(text)}: ${why}): write ${meant}`;
}

/**
 * " (did you mean …?)" for text a letter or two from one of the values allowed; not for words
 * of three letters or fewer, which are a letter or two from many (`PUT` is no `GET`).
 */
function enumGuess(data: unknown, allowed: readonly unknown[]): string {
  if (typeof data !== "string" || data.length < 4) return "";
  const texts = allowed.filter((value): value is string => typeof value === "string");
  const guess = closest(data, texts);
  return guess === undefined || guess === data ? "" : ` (did you mean ${quote(guess)}?)`;
}
