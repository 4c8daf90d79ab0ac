/**
 * The messages `schema-errors.ts` gives for each kind of schema mistake: what the value
 * should have been, in the words of the file format, and what to do.
 */
import { DURATION_PATTERN } from "../durations.js";
import { isFieldName, placeholderNames } from "../placeholders.js";
import { headerValueControlMessage } from "../rules/header-rules.js";
import { mayRepeat } from "../field-guess.js";
import {
  retryDelayMessage,
  signingSecretMessage,
  timeoutMessage,
  unknownPlaceholderMessage,
} from "../rules/rules.js";
import { NO_HOST, noHostMessage } from "../rules/url-rules.js";
import { userNameColonMessage } from "../rules/auth-rules.js";
import type { AjvError, SchemaIssue } from "./schema-errors.js";
import { literalText, parseReferences } from "../secrets.js";
import { invisibleNote, quoteVisibly, withInvisibleNote, withoutInvisible } from "./invisible.js";
import { closest, displayPath, quote, type PathSegment } from "../text.js";
import { EVENT_TYPES, FIELD_NAMES } from "../types.js";
import { guessField } from "../field-guess.js";
import { belongsElsewhere } from "./key-places.js";

export function inWhere(where: string): string {
  return where ? ` in ${where}` : "";
}

export function unknownKey(error: AjvError, path: PathSegment[], key: string): SchemaIssue {
  if (key === "<<") {
    const message =
      `merge key "<<"${inWhere(displayPath(path))}: files are YAML 1.2, which has no merge ` +
      "keys; write the keys out (anchors and aliases of whole values do work)";
    return { path: [...path, key], onKey: true, message };
  }
  if (bothFieldForms(path, error.data)) {
    // The form whose value has the right type was taken, and the other's key left over.
    const message = noFormMessage(path, displayPath(path), error.data);
    return { path: [...path, key], onKey: true, message };
  }
  const known = Object.keys((error.parentSchema?.properties ?? {}) as object);
  // `password:hunter2` in a flow mapping is one key: its value is not repeated, as it may
  // be a secret.
  const runOn = /^([A-Za-z_][\w-]*):\S/.exec(key)?.[1];
  if (runOn !== undefined && known.includes(runOn)) {
    const message =
      `unknown key "${runOn}:…"${inWhere(displayPath(path))}: a key's colon needs a space ` +
      `after it, or the value is read as part of the key: write ${runOn}: and a space before the value`;
    return { path: [...path, key], onKey: true, message };
  }
  const guess = closest(withoutInvisible(key), known);
  const hint = guess ? ` (did you mean "${guess}"?)` : belongsElsewhere(key, path);
  return {
    path: [...path, key],
    onKey: true,
    message: `unknown key ${quoteVisibly(key)}${inWhere(displayPath(path))}${hint}${noted(key)}`,
    ...(guess ? { suggests: [...path, guess] } : {}),
  };
}

/** A key an auth branch does not take, e.g. `token` with `type: basic`. */
export function keyNotAllowed(error: AjvError, path: PathSegment[], object: unknown): SchemaIssue {
  const key = error.propertyName ?? "";
  const written = (object as { type?: unknown } | undefined)?.type;
  const type = typeof written === "string" ? written : "none";
  const message = `key ${quoteVisibly(key)} does not go with ${displayPath(path)}.type ${type}${noted(key)}`;
  return { path: [...path, key], onKey: true, message };
}

export function constMessage(error: AjvError, where: string): string {
  const allowed = String((error.params as { allowedValue: unknown }).allowedValue);
  if (error.schemaPath.includes("/then/")) {
    return `${where} must be ${allowed} when method is GET (got ${quote(error.data)})`;
  }
  return `${where} must be ${allowed} (got ${quote(error.data)})`;
}

export const DURATION_HINT = "a duration like 250ms, 10s, 5m or 1h";

export function anyOfTypes(error: AjvError): string[] {
  const branches = (error.schema ?? []) as Array<{ type?: string }>;
  return branches.flatMap((b) => (typeof b.type === "string" ? [b.type] : []));
}

export function patternMessage(path: PathSegment[], where: string, data: unknown): string {
  const parent = path.slice(0, -1).join(".");
  const text = typeof data === "string" ? data : "";
  if (where === "webhook.timeout" && new RegExp(DURATION_PATTERN).test(text)) {
    return timeoutMessage(text);
  }
  const retryKey =
    where === "webhook.retry.initialDelay"
      ? "initialDelay"
      : where === "webhook.retry.maxDelay"
        ? "maxDelay"
        : undefined;
  if (retryKey && new RegExp(DURATION_PATTERN).test(text)) {
    return retryDelayMessage(retryKey, text);
  }
  const control = parent === "webhook.headers" ? headerValueControlMessage(where, text) : undefined;
  if (control !== undefined) return control;
  // Free text: a malformed `${…}` reference, or (where placeholders go) an unknown one.
  const parsed = isFreeText(path) ? parseReferences(text) : undefined;
  if (parsed && !parsed.ok) return `${where}: ${parsed.message}`;
  if (parsed?.ok && holdsPlaceholders(path)) {
    const unknown = literalText(parsed.segments)
      .flatMap(placeholderNames)
      .filter((name) => !isFieldName(name));
    const [first, ...more] = unknown;
    if (first !== undefined) {
      const named = more.filter(mayRepeat).map((n) => `{${n}}`);
      const unnamed = more.length - named.length;
      const listed = [...named, ...(unnamed > 0 ? [`${unnamed} more`] : [])];
      const also = listed.length > 0 ? ` (also unknown: ${listed.join(", ")})` : "";
      return unknownPlaceholderMessage(first, path) + also;
    }
  }
  if (where === "webhook.auth.username") return userNameColonMessage();
  if (path[0] === "webhook" && path[1] === "signing" && path[2] === "secret") {
    return `${signingSecretMessage(where, text)}; better, keep it out of the file: \${env:NAME} or \${file:/path}`;
  }
  if (where === "name") {
    return `name must be a DNS label: lowercase letters, digits and "-", at most 63 characters, starting and ending with a letter or digit (got ${quote(data)})`;
  }
  if (where === "scope.service" && text.includes("${")) {
    return "scope.service must be a service UUID written out, not a ${…} reference: write the UUID itself (a service's UUID is no secret)";
  }
  if (where === "scope.service") {
    return `scope.service must be a service UUID like 3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11 (got ${quote(data)})`;
  }
  if (isDurationPath(path)) {
    return `${where} must be ${DURATION_HINT} (got ${quote(data)})`;
  }
  if (where === "webhook.url" && NO_HOST.test(text)) return noHostMessage();
  if (where === "webhook.url" && /\s/.test(text) && /^\s*(https?:\/\/|\$\{)/i.test(text)) {
    return "webhook.url must not hold spaces or other white space: write a space in a path or query as %20";
  }
  if (where === "webhook.url") {
    return withInvisibleNote(
      "webhook.url must be an absolute URL starting with http:// or https:// (or a single ${env:…}/${file:…} reference)",
      text,
    );
  }
  return `${where} has an invalid format`;
}

export function headerNameMessage(name: string): string {
  const allowed = "use letters, digits and !#$%&'*+-.^_`|~";
  if (name === "")
    return `empty or null (~) key in webhook.headers: a header's name must be text; ${allowed}`;
  return `header name ${quoteVisibly(name)} is not an HTTP token: ${invisibleNote(name) ?? allowed}`;
}

/** ": it holds a zero-width space …" for a key with a character one cannot see; else "". */
function noted(key: string): string {
  const note = invisibleNote(key);
  return note ? `: ${note}` : "";
}

export function itemsMessage(where: string, error: AjvError): string {
  if (where === "trigger.events") {
    return `trigger.events must list 1 to 3 event types (got ${(error.data as unknown[]).length})`;
  }
  const limit = Number((error.params as { limit: number }).limit);
  return error.keyword === "minItems"
    ? `${where} must have at least ${limit} item${limit === 1 ? "" : "s"}`
    : `${where} must have at most ${limit} items`;
}

/**
 * A bound passed. A constant's bound is the largest integer a JSON number carries exactly:
 * YAML reads a longer one (an id, a phone number) as a number and rounds it, so the
 * message says to quote it rather than echo the rounded figure.
 */
export function boundMessage(path: PathSegment[], where: string, error: AjvError): string {
  if (path.at(-1) === "value") {
    return `${where} is a number beyond what JSON carries exactly (integers up to 9007199254740991 either way): put it in quotes to send it as text`;
  }
  const limit = String((error.params as { limit: unknown }).limit);
  const bound = error.keyword === "maximum" ? "at most" : "at least";
  return `${where} must be ${bound} ${limit} (got ${String(error.data)})`;
}

/** A value that matches none (or several) of the allowed forms of a `oneOf`. */
export function noFormMessage(path: PathSegment[], where: string, data: unknown): string {
  if (where === "scope") {
    const both =
      typeof data === "object" && data !== null && "account" in data && "service" in data;
    return both
      ? "scope must have only one of account or service, not both"
      : "scope needs account (an account integration) or service (a service integration)";
  }
  if (path[0] === "webhook" && path[1] === "fields" && path.length === 3) {
    if (typeof data === "string") {
      const guess = guessField(data);
      const hint = guess ? ` (did you mean ${guess}?)` : "";
      return `unknown field ${quote(data)} in ${where}${hint}: use one of ${FIELD_NAMES.join(", ")}, or {value: …} or {template: …}`;
    }
    return `${where} must be a field name, {value: …} or {template: "…"} (got ${quote(data)})${mappingNote(data)}`;
  }
  if (where === "webhook.signing.secret") {
    return `webhook.signing.secret must be a string or a list of strings (got ${quote(data)})`;
  }
  if (where === "webhook.auth") {
    return "webhook.auth must be {type: none}, {type: basic, username, password} or {type: token, token}";
  }
  return `${where} does not match any allowed form`;
}

/** What is wrong with a mapping given for a field: braces unquoted, a key mistyped, or both forms. */
function mappingNote(data: unknown): string {
  if (!isMapping(data)) return "";
  const keys = Object.keys(data);
  const [key] = keys;
  if (keys.length === 1 && key !== undefined && isFieldName(key) && data[key] === null) {
    // `label: {name}`: the field is written without braces, a template in quotes.
    return `: YAML reads {${key}} unquoted as a mapping; write ${key} to send the field, or {template: "{${key}}"} for text around it`;
  }
  const unknown = keys.filter((k) => k !== "value" && k !== "template");
  if (unknown.length > 0) {
    const names = unknown.map((k) => quote(k)).join(", ");
    const guess = unknown.length === 1 ? closest(unknown[0] ?? "", FIELD_FORMS) : undefined;
    return `: the mapping takes only value or template, not ${names}${guess ? ` (did you mean ${guess}?)` : ""}`;
  }
  return keys.length > 1 ? ": give value or template, not both" : "";
}

const FIELD_FORMS = ["value", "template"];

/** A field's mapping (`webhook.fields.<name>`) that holds both `value` and `template`. */
function bothFieldForms(path: readonly PathSegment[], data: unknown): boolean {
  const [top, key] = path;
  const isField = top === "webhook" && key === "fields" && path.length === 3;
  return isField && isMapping(data) && "value" in data && "template" in data;
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

export function valueAt(document: unknown, path: readonly PathSegment[]): unknown {
  let value = document;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[String(segment)];
  }
  return value;
}

export function isDurationPath(path: readonly PathSegment[]): boolean {
  return (
    path[0] === "webhook" && ["timeout", "initialDelay", "maxDelay"].includes(String(path.at(-1)))
  );
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * ": a value that starts with "{" must be quoted …" when a mapping stands where text goes and
 * looks like an unquoted placeholder: YAML reads `X-User: {name}` as the mapping
 * `{name: null}`. Else "".
 */
export function bracedText(data: unknown): string {
  if (!isMapping(data)) return "";
  const keys = Object.keys(data);
  if (keys.length === 0 || Object.values(data).some((v) => v !== null)) return "";
  // Only field names are echoed: the text may be a secret written out by mistake.
  const example = keys.every(isFieldName) ? `{${keys.join(", ")}}` : "{name}";
  return `: a value that starts with "{" must be quoted, or YAML reads it as a mapping; write "${example}"`;
}

/**
 * `events: user.created`, or `events: user.created, user.deleted`: event types written as text
 * where a list is wanted, said as the list to write. Other text is not repeated.
 */
export function eventListHint(data: unknown): string {
  const items = allowedItems(data, EVENT_TYPES, /[\s,]+/);
  return items ? `: write [${items.join(", ")}]` : "";
}

/** The parts of `data` between `separator`s, when it is text of parts each in `allowed`. */
export function allowedItems(
  data: unknown,
  allowed: readonly unknown[],
  separator: RegExp,
): string[] | undefined {
  if (typeof data !== "string") return undefined;
  const items = data.split(separator).filter((item) => item !== "");
  return items.length > 0 && items.every((item) => allowed.includes(item)) ? items : undefined;
}
