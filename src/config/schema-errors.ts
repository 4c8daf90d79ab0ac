/**
 * Turns ajv's errors into one human message per mistake. `oneOf`, `anyOf` and `if`/`then`
 * produce an error per branch; those are collapsed to the branch the author meant,
 * or to one message that names the allowed forms. Where the schema expresses a rule
 * `rules.ts` also checks, the message is the rule's own.
 */
import type { ErrorObject } from "ajv";
import { DURATION_PATTERN } from "./durations.js";
import { isFieldName, placeholderNames } from "./placeholders.js";
import {
  reservedHeaderMessage,
  timeoutMessage,
  unknownPlaceholderMessage,
  URL_USER_INFO_MESSAGE,
} from "./rules.js";
import { literalText, parseReferences } from "./secrets.js";
import { FIELD_NAMES } from "./types.js";
import {
  closest,
  describeType,
  displayPath,
  listOr,
  pointerSegments,
  quote,
  typeWords,
  type PathSegment,
} from "./text.js";

/** A schema mistake at a place in the document; `onKey` points at the key rather than the value. */
export interface SchemaIssue {
  path: PathSegment[];
  onKey: boolean;
  message: string;
}

type AjvError = ErrorObject & { propertyName?: string };

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
  return issues;
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
    case "required":
      return at(`missing required key "${String(params.missingProperty)}"${inWhere(where)}`, true);
    case "additionalProperties":
      return unknownKey(error, path, String(params.additionalProperty));
    case "type":
      if (isDurationPath(path)) {
        return at(`${where} must be ${DURATION_HINT} (got ${describeType(error.data)})`);
      }
      return at(
        `${where || "the document"} must be ${typeWords(params.type as string)} (got ${describeType(error.data)})`,
      );
    case "enum":
      if (error.propertyName !== undefined) {
        return keyNotAllowed(error, path, valueAt(document, path));
      }
      return at(
        `${where} must be ${listOr(params.allowedValues as unknown[])} (got ${quote(error.data)})`,
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
      if (where === "webhook.url") return at(URL_USER_INFO_MESSAGE);
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
      if (error.propertyName !== undefined) return at(`empty key in ${where}`, true, path);
      return at(`${where} must not be empty`);
    case "minimum":
      return at(`${where} must be at least ${String(params.limit)} (got ${String(error.data)})`);
    case "oneOf":
      // A mapping that fits no form is pointed at by its key; a scalar at itself.
      return at(noFormMessage(path, where, error.data), isMapping(error.data));
    default:
      return at(`${where || "the document"} ${error.message ?? "is invalid"}`);
  }
}

function inWhere(where: string): string {
  return where ? ` in ${where}` : "";
}

function unknownKey(error: AjvError, path: PathSegment[], key: string): SchemaIssue {
  const known = Object.keys((error.parentSchema?.properties ?? {}) as object);
  const guess = closest(key, known);
  const hint = guess ? ` (did you mean "${guess}"?)` : "";
  return {
    path: [...path, key],
    onKey: true,
    message: `unknown key "${key}"${inWhere(displayPath(path))}${hint}`,
  };
}

/** A key an auth branch does not take, e.g. `token` with `type: basic`. */
function keyNotAllowed(error: AjvError, path: PathSegment[], object: unknown): SchemaIssue {
  const key = error.propertyName ?? "";
  const written = (object as { type?: unknown } | undefined)?.type;
  const type = typeof written === "string" ? written : "none";
  const message = `key "${key}" does not go with ${displayPath(path)}.type ${type}`;
  return { path: [...path, key], onKey: true, message };
}

function constMessage(error: AjvError, where: string): string {
  const allowed = String((error.params as { allowedValue: unknown }).allowedValue);
  if (error.schemaPath.includes("/then/")) {
    return `${where} must be ${allowed} when method is GET (got ${quote(error.data)})`;
  }
  return `${where} must be ${allowed} (got ${quote(error.data)})`;
}

const DURATION_HINT = "a duration like 250ms, 10s, 5m or 1h";

function anyOfTypes(error: AjvError): string[] {
  const branches = (error.schema ?? []) as Array<{ type?: string }>;
  return branches.flatMap((b) => (typeof b.type === "string" ? [b.type] : []));
}

function patternMessage(path: PathSegment[], where: string, data: unknown): string {
  const parent = path.slice(0, -1).join(".");
  const text = typeof data === "string" ? data : "";
  if (where === "webhook.timeout" && new RegExp(DURATION_PATTERN).test(text)) {
    return timeoutMessage(text);
  }
  if (parent === "webhook.headers" && /[\r\n]/.test(text)) {
    return `${where} must not contain a line break (CR or LF)`;
  }
  // Free text: a malformed `${…}` reference, or (where placeholders go) an unknown one.
  const parsed = isFreeText(path) ? parseReferences(text) : undefined;
  if (parsed && !parsed.ok) return `${where}: ${parsed.message}`;
  if (parsed?.ok && holdsPlaceholders(path)) {
    const unknown = literalText(parsed.segments)
      .flatMap(placeholderNames)
      .filter((name) => !isFieldName(name));
    const [first, ...more] = unknown;
    if (first !== undefined) {
      const also =
        more.length > 0 ? ` (also unknown: ${more.map((n) => `{${n}}`).join(", ")})` : "";
      return unknownPlaceholderMessage(first, path) + also;
    }
  }
  if (path[0] === "webhook" && path[1] === "signing" && path[2] === "secret") {
    return `${where} must look like whsec_<base64> (a Standard Webhooks secret); better, keep it out of the file: \${env:NAME} or \${file:/path}`;
  }
  if (where === "name") {
    return `name must be a DNS label: lowercase letters, digits and "-", at most 63 characters, starting and ending with a letter or digit (got ${quote(data)})`;
  }
  if (where === "scope.service") {
    return `scope.service must be a service UUID like 3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11 (got ${quote(data)})`;
  }
  if (isDurationPath(path)) {
    return `${where} must be ${DURATION_HINT} (got ${quote(data)})`;
  }
  if (where === "webhook.url") {
    return "webhook.url must be an absolute URL starting with http:// or https:// (or a single ${env:…}/${file:…} reference)";
  }
  return `${where} has an invalid format`;
}

function headerNameMessage(name: string): string {
  return `header name ${JSON.stringify(name)} is not an HTTP token: use letters, digits and !#$%&'*+-.^_\`|~`;
}

function itemsMessage(where: string, error: AjvError): string {
  if (where === "trigger.events") {
    return `trigger.events must list 1 to 3 event types (got ${(error.data as unknown[]).length})`;
  }
  const limit = Number((error.params as { limit: number }).limit);
  return error.keyword === "minItems"
    ? `${where} must have at least ${limit} item${limit === 1 ? "" : "s"}`
    : `${where} must have at most ${limit} items`;
}

/** A value that matches none (or several) of the allowed forms of a `oneOf`. */
function noFormMessage(path: PathSegment[], where: string, data: unknown): string {
  if (where === "scope") {
    const both =
      typeof data === "object" && data !== null && "account" in data && "service" in data;
    return both
      ? "scope must have only one of account or service, not both"
      : "scope needs account (an account integration) or service (a service integration)";
  }
  if (path[0] === "webhook" && path[1] === "fields" && path.length === 3) {
    if (typeof data === "string") {
      return `unknown field ${quote(data)} in ${where}: use one of ${FIELD_NAMES.join(", ")}, or {value: …} or {template: …}`;
    }
    return `${where} must be a field name, {value: …} or {template: "…"} (got ${quote(data)})`;
  }
  if (where === "webhook.signing.secret") {
    return `webhook.signing.secret must be a string or a list of strings (got ${quote(data)})`;
  }
  if (where === "webhook.auth") {
    return "webhook.auth must be {type: none}, {type: basic, username, password} or {type: token, token}";
  }
  return `${where} does not match any allowed form`;
}

/** Strings that may hold `${…}` references (keywords, durations and UUIDs are literal). */
function isFreeText(path: readonly PathSegment[]): boolean {
  const [top, key, , field] = path;
  if (top === "description") return path.length === 1;
  if (top === "scope") return key === "account";
  if (top !== "webhook") return false;
  if (key === "fields") return field === "value" || field === "template";
  return ["url", "pathArguments", "headers", "auth", "signing", "tls"].includes(String(key));
}

/** Path arguments, header values and templates: where `{field}` placeholders are filled in. */
function holdsPlaceholders(path: readonly PathSegment[]): boolean {
  if (path[0] !== "webhook") return false;
  if (path[1] === "pathArguments" || path[1] === "headers") return path.length === 3;
  return path[1] === "fields" && path[3] === "template";
}

function valueAt(document: unknown, path: readonly PathSegment[]): unknown {
  let value = document;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[String(segment)];
  }
  return value;
}

function isDurationPath(path: readonly PathSegment[]): boolean {
  return (
    path[0] === "webhook" && ["timeout", "initialDelay", "maxDelay"].includes(String(path.at(-1)))
  );
}

function isMapping(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
