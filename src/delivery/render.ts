/**
 * The exact HTTP request an integration sends for one event (docs/receivers.md, "Headers" and
 * "Payload").
 * Everything that depends only on the integration is prepared once by `compileRenderer`;
 * per event only field values are read, encoded and concatenated.
 */
import {
  FIELD_NAMES,
  templateKey,
  type FieldSpec,
  type Integration,
  type Webhook,
} from "../config/types.js";
import type { PbxEvent } from "../events/types.js";
import { USER_AGENT } from "../version.js";
import { compileTemplate, jsonFieldValue, textFieldValue, type JsonFieldValue } from "./fields.js";
import { signingKeys, signWithKeys } from "./sign.js";
import {
  checkSize,
  MAX_BODY_CHARS,
  MAX_HEADER_CHARS,
  MAX_URL_CHARS,
  type SizeBound,
} from "./request-size.js";
import type { Rendering } from "./types.js";
import { compileUrl } from "./url.js";
import { webhookId } from "./webhook-id.js";

/**
 * `id` is the delivery's webhook-id when the caller has it already (it is a hash to compute).
 * An event that leaves a path argument empty gets no request: `Unsendable` says why.
 */
export type Renderer = (event: PbxEvent, now: Date, id?: string) => Rendering;
type Rendered<T> = (event: PbxEvent, now: Date) => T;

const CONTENT_TYPES = { json: "application/json", form: "application/x-www-form-urlencoded" };

/** Prepares the integration's request once; the returned function renders one event. */
export function compileRenderer(integration: Integration): Renderer {
  const { webhook } = integration;
  const url = compileUrl(webhook);
  const headers = compileHeaders(integration);
  const keys = signingKeys(webhook.signingSecrets);
  const format = webhook.format;
  const payload =
    format === "json"
      ? compileJsonBody(webhook)
      : compileFormPairs(webhook, format === "query" ? QUERY_BOUND : BODY_BOUND);
  return (event, now, id = webhookId(integration.name, event.id)) => {
    const encoded = payload(event, now);
    const target = url(event, now, format === "query" ? encoded : "");
    if (typeof target !== "string") return target;
    const body = format === "query" ? null : encoded;
    const timestamp = Math.floor(now.getTime() / 1000);
    const sent = headers(event, now);
    sent["webhook-id"] = id;
    sent["webhook-timestamp"] = String(timestamp);
    if (keys.length > 0) sent["webhook-signature"] = signWithKeys(keys, id, timestamp, body ?? "");
    return {
      method: webhook.method,
      url: target,
      headers: sent,
      body,
    };
  };
}

/**
 * Renders one request without keeping the compiled form (tools, tests, `render`). Like the
 * compiled form, throws `RequestTooLargeError` when the event would make it too large.
 */
export function renderRequest(integration: Integration, event: PbxEvent, now: Date): Rendering {
  return compileRenderer(integration)(event, now);
}

// ---- payload ------------------------------------------------------------------------

function payloadSpecs(webhook: Webhook): [string, FieldSpec][] {
  if (webhook.fields) return Object.entries(webhook.fields);
  return FIELD_NAMES.map((field) => [field, { kind: "field", field }]);
}

/** A field's template, compiled with the stretches of it that are not template. */
function compileFieldTemplate(webhook: Webhook, key: string, template: string) {
  const max = webhook.format === "query" ? MAX_URL_CHARS : MAX_BODY_CHARS;
  return compileTemplate(template, webhook.literals?.[templateKey(["fields", key])], {
    what: `webhook.fields.${key}`,
    max,
  });
}

const BODY_BOUND = { what: "the body", max: MAX_BODY_CHARS };
const QUERY_BOUND = { what: "the query", max: MAX_URL_CHARS };

function compileJsonBody(webhook: Webhook): Rendered<string> {
  // Keys are serialised once, each with the punctuation before it; building the text
  // directly also keeps a "__proto__" key.
  const entries = payloadSpecs(webhook).map(([key, spec], i) => ({
    prefix: `${i === 0 ? "{" : ","}${JSON.stringify(key)}:`,
    value: jsonValueOf(webhook, key, spec),
  }));
  if (entries.length === 0) return () => "{}";
  return (event, now) => {
    let text = "";
    for (const { prefix, value } of entries) {
      const json = jsonText(value(event, now));
      checkSize(text.length + prefix.length + json.length + 1, BODY_BOUND);
      text += prefix + json;
    }
    return `${text}}`;
  };
}

/**
 * What a JSON string may need escaped: `"`, `\`, control characters, and surrogates
 * (JSON.stringify escapes a lone one; a text with a pair is simply left to it).
 */
// Control characters are what this pattern is for.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A field's value as JSON text, as `JSON.stringify` writes it. Most values are short
 * strings with nothing to escape: quoting them directly skips the set-up of a
 * `JSON.stringify` call for each field, which cost more than the value (docs/benchmarks.md).
 */
export function jsonText(value: JsonFieldValue | number): string {
  if (typeof value === "string") {
    return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  return value === null ? "null" : JSON.stringify(value);
}

function jsonValueOf(
  webhook: Webhook,
  key: string,
  spec: FieldSpec,
): Rendered<JsonFieldValue | number> {
  if (spec.kind === "field") return (event, now) => jsonFieldValue(spec.field, event, now);
  if (spec.kind === "value") return () => spec.value;
  return compileFieldTemplate(webhook, key, spec.template);
}

/**
 * `key=value&…` in application/x-www-form-urlencoded form; missing values are left out.
 * The text is counted before it is encoded, and the encoding (up to 9 characters for one)
 * after: what is built is at most nine times the bound, and never sent past it.
 */
function compileFormPairs(webhook: Webhook, bound: SizeBound): Rendered<string> {
  const entries = payloadSpecs(webhook).map(([key, spec]) => ({
    key,
    value: textValueOf(webhook, key, spec),
  }));
  return (event, now) => {
    const params = new URLSearchParams();
    let length = -1; // no "&" before the first pair
    for (const { key, value } of entries) {
      const text = value(event, now);
      if (text === undefined) continue;
      length += key.length + text.length + 2;
      checkSize(length, bound);
      params.append(key, text);
    }
    const encoded = params.toString();
    checkSize(encoded.length, bound);
    return encoded;
  };
}

function textValueOf(webhook: Webhook, key: string, spec: FieldSpec): Rendered<string | undefined> {
  if (spec.kind === "field") return (event, now) => textFieldValue(spec.field, event, now);
  if (spec.kind === "value") {
    const text = spec.value === null ? undefined : String(spec.value);
    return () => text;
  }
  return compileFieldTemplate(webhook, key, spec.template);
}

// ---- headers ------------------------------------------------------------------------

/** Headers hookswitch sets itself; a custom header of the same name is not sent. */
const OWN_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

function compileHeaders(integration: Integration): Rendered<Record<string, string>> {
  const { webhook } = integration;
  const fixed: Record<string, string> = { "User-Agent": USER_AGENT };
  if (webhook.format !== "query") fixed["Content-Type"] = CONTENT_TYPES[webhook.format];
  const authorization = authorizationOf(webhook);
  if (authorization !== undefined) fixed.Authorization = authorization;
  const custom = Object.entries(webhook.headers)
    .filter(([name]) => !isOwnHeader(name.toLowerCase(), authorization !== undefined))
    .map(([name, template]) => ({
      name,
      value: compileTemplate(template, webhook.literals?.[templateKey(["headers", name])], {
        what: `webhook.headers.${name}`,
        max: MAX_HEADER_CHARS,
      }),
    }));
  // A plain object: undici reads a prototype-less one 0.4 µs slower per request. Only a
  // header named "__proto__" needs one without a prototype to stay a header.
  const fresh = custom.some(({ name }) => name === "__proto__")
    ? () => Object.create(null) as Record<string, string>
    : () => ({}) as Record<string, string>;
  return (event, now) => {
    const headers = Object.assign(fresh(), fixed);
    let length = 0;
    for (const { name, value } of custom) {
      const text = value(event, now);
      length += name.length + text.length;
      checkSize(length, HEADERS_BOUND);
      headers[name] = headerValue(text);
    }
    return headers;
  };
}

const HEADERS_BOUND = { what: "the custom headers", max: MAX_HEADER_CHARS };

function isOwnHeader(lowerName: string, hasAuth: boolean): boolean {
  return OWN_HEADERS.has(lowerName) || (hasAuth && lowerName === "authorization");
}

function authorizationOf(webhook: Webhook): string | undefined {
  const { auth } = webhook;
  if (auth.type === "basic") {
    const credentials = Buffer.from(`${auth.username}:${auth.password}`, "utf8");
    return `Basic ${credentials.toString("base64")}`;
  }
  if (auth.type === "token") return headerValue(`Bearer ${auth.token}`);
  return undefined;
}

// Control characters are what this pattern is for.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x00-\x08\x0a-\x1f\x7f]+/g;
const NON_ASCII = /[^\t\x20-\x7e]/;
const EDGE_SPACES = /^[\t ]+|[\t ]+$/g;

/** Whether the UTF-16 unit is a space or a tab (RFC 9110's OWS). */
const isSpace = (code: number) => code === 0x20 || code === 0x09;

/**
 * A value that is safe on the wire: each run of control characters (CR and LF above all —
 * header injection) becomes one space, and non-ASCII text is sent as its UTF-8 bytes (a header
 * value is a byte string, one character per byte). Spaces and tabs at either end are left
 * out: they are not part of a field value (RFC 9110, 5.5), every receiver's parser drops them,
 * and `render` must print the value the receiver gets.
 */
export function headerValue(text: string): string {
  let clean = text.replace(CONTROL_CHARS, " ");
  if (isSpace(clean.charCodeAt(0)) || isSpace(clean.charCodeAt(clean.length - 1))) {
    clean = clean.replace(EDGE_SPACES, "");
  }
  return NON_ASCII.test(clean) ? Buffer.from(clean, "utf8").toString("latin1") : clean;
}
