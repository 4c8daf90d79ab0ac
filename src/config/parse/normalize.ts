/** Builds the in-memory `Integration` from a checked document, filling in defaults. */
import { durationOr } from "../durations.js";
import type { RawFieldSpec, RawIntegration, RawWebhook } from "./raw.js";
import { OPAQUE_URL, SECRET_MARK, type LiteralText } from "../references.js";
import {
  DEFAULTS,
  type Auth,
  type EventType,
  type FieldName,
  type FieldSpec,
  type Integration,
  type Scope,
  type ShownIntegration,
  type SourceLocation,
  type TextRange,
  type Webhook,
  templateKey,
} from "../types.js";

export interface NormalizeInput {
  value: RawIntegration;
  source: SourceLocation;
  /** Where `value` holds text not written as such (secrets, escapes): see `Webhook.literals`. */
  literals: LiteralText[];
  /** The document as written and with `SECRET_MARK` for each reference (resolved ones only). */
  references?: {
    written: RawIntegration;
    marked: RawIntegration;
    markedLiterals: LiteralText[];
  };
  /** The secrets references put in what goes to the receiver (see `Integration`). */
  sentSecrets?: string[];
  tlsCa: string | undefined;
}

export function toIntegration(input: NormalizeInput): Integration {
  const { value, source, references, tlsCa } = input;
  const webhook = toWebhook(value.webhook, tlsCa, input.literals);
  const integration: Integration = {
    name: value.name,
    description: value.description,
    enabled: value.enabled ?? true,
    type: "webhook",
    scope: toScope(value.scope),
    trigger: {
      serviceType: value.trigger.serviceType,
      events: value.trigger.events as EventType[],
    },
    webhook,
    source,
  };
  const shown = references && toShown(references, webhook);
  if (shown) integration.shown = shown;
  if (input.sentSecrets && input.sentSecrets.length > 0)
    integration.sentSecrets = input.sentSecrets;
  return integration;
}

function toScope(raw: RawIntegration["scope"]): Scope {
  return raw.service !== undefined ? { service: raw.service } : { account: raw.account ?? "" };
}

/**
 * What output shows where a reference fed a shown value; undefined when none did. A
 * marked container is a new object only where a reference was inside it.
 */
function toShown(
  { written, marked, markedLiterals }: NonNullable<NormalizeInput["references"]>,
  webhook: Webhook,
): ShownIntegration | undefined {
  const [was, is] = [written.webhook, marked.webhook];
  const inRequest =
    is.url !== was.url ||
    is.pathArguments !== was.pathArguments ||
    is.headers !== was.headers ||
    is.fields !== was.fields;
  const inView = marked.description !== written.description || marked.scope !== written.scope;
  if (!inRequest && !inView) return undefined;
  // A mark in the port, or a whole URL from one reference, leaves no URL to parse.
  const url = URL.canParse(is.url) ? is.url : OPAQUE_URL;
  const twin = toWebhook(is, webhook.tlsCa, markedLiterals);
  return {
    description: written.description,
    scope: toScope(written.scope),
    webhook: inRequest
      ? {
          ...withoutLiterals(webhook),
          url,
          pathArguments: twin.pathArguments,
          headers: twin.headers,
          fields: twin.fields,
          ...(twin.literals ? { literals: twin.literals } : {}),
        }
      : webhook,
    secretHost: url === OPAQUE_URL || new URL(url).host.includes(SECRET_MARK),
  };
}

function withoutLiterals({ literals: _literals, ...webhook }: Webhook): Webhook {
  return webhook;
}

function toWebhook(raw: RawWebhook, tlsCa: string | undefined, literals: LiteralText[]): Webhook {
  const method = raw.method ?? "POST";
  const secret = raw.signing?.secret;
  const inTemplates = templateLiterals(literals);
  return {
    url: raw.url,
    method,
    format: raw.format ?? (method === "GET" ? "query" : "json"),
    pathArguments: raw.pathArguments ?? [],
    auth: toAuth(raw.auth),
    headers: { ...(raw.headers ?? {}) },
    fields: raw.fields ? toFields(raw.fields) : undefined,
    signingSecrets: secret === undefined ? [] : typeof secret === "string" ? [secret] : [...secret],
    timeoutMs: msOf(raw.timeout, DEFAULTS.timeoutMs),
    retry: {
      maxAttempts: raw.retry?.maxAttempts ?? DEFAULTS.retry.maxAttempts,
      initialDelayMs: msOf(raw.retry?.initialDelay, DEFAULTS.retry.initialDelayMs),
      maxDelayMs: msOf(raw.retry?.maxDelay, DEFAULTS.retry.maxDelayMs),
    },
    maxInFlight: raw.maxInFlight ?? DEFAULTS.maxInFlight,
    tlsCa,
    ...(inTemplates ? { literals: inTemplates } : {}),
  };
}

/** The literal stretches of path arguments, header values and templates, by `templateKey`. */
function templateLiterals(literals: LiteralText[]): Record<string, TextRange[]> | undefined {
  let found: Record<string, TextRange[]> | undefined;
  for (const { path, ranges } of literals) {
    const [top, section, key, leaf] = path;
    if (top !== "webhook") continue;
    const place =
      section === "pathArguments" && typeof key === "number" && path.length === 3
        ? templateKey(["pathArguments", key])
        : section === "headers" && typeof key === "string" && path.length === 3
          ? templateKey(["headers", key])
          : section === "fields" && typeof key === "string" && leaf === "template"
            ? templateKey(["fields", key])
            : undefined;
    if (place !== undefined) (found ??= {})[place] = ranges;
  }
  return found;
}

/** A schema-valid document's durations parse; the fallback only satisfies the types. */
function msOf(written: string | undefined, fallbackMs: number): number {
  return durationOr(written, fallbackMs) ?? fallbackMs;
}

function toAuth(raw: RawWebhook["auth"]): Auth {
  switch (raw?.type) {
    case "basic":
      return { type: "basic", username: raw.username ?? "", password: raw.password ?? "" };
    case "token":
      return { type: "token", token: raw.token ?? "" };
    default:
      return { type: "none" };
  }
}

function toFields(raw: Record<string, RawFieldSpec>): Record<string, FieldSpec> {
  // fromEntries defines each key: an assignment to "__proto__" set the prototype instead,
  // and a request key of that name was left out of every body.
  return Object.fromEntries(Object.entries(raw).map(([key, spec]) => [key, toFieldSpec(spec)]));
}

function toFieldSpec(spec: RawFieldSpec): FieldSpec {
  if (typeof spec === "string") return { kind: "field", field: spec as FieldName };
  if ("template" in spec) return { kind: "template", template: spec.template };
  return { kind: "value", value: spec.value };
}
