/** Builds the in-memory `Integration` from a checked document, filling in defaults. */
import { parseDuration } from "./durations.js";
import type { RawFieldSpec, RawIntegration, RawWebhook } from "./raw.js";
import {
  DEFAULTS,
  type Auth,
  type EventType,
  type FieldName,
  type FieldSpec,
  type Integration,
  type Scope,
  type SourceLocation,
  type Webhook,
} from "./types.js";

export interface NormalizeInput {
  value: RawIntegration;
  source: SourceLocation;
  /** Values that resolved references produced. */
  referencedSecrets: string[];
  tlsCa: string | undefined;
}

export function toIntegration({
  value,
  source,
  referencedSecrets,
  tlsCa,
}: NormalizeInput): Integration {
  const webhook = toWebhook(value.webhook, tlsCa);
  const scope: Scope =
    value.scope.service !== undefined
      ? { service: value.scope.service }
      : { account: value.scope.account ?? "" };
  return {
    name: value.name,
    description: value.description,
    enabled: value.enabled ?? true,
    type: "webhook",
    scope,
    trigger: {
      serviceType: value.trigger.serviceType,
      events: value.trigger.events as EventType[],
    },
    webhook,
    source,
    secretValues: uniqueSecrets([
      ...referencedSecrets,
      ...authSecrets(webhook.auth),
      ...webhook.signingSecrets,
    ]),
  };
}

function toWebhook(raw: RawWebhook, tlsCa: string | undefined): Webhook {
  const method = raw.method ?? "POST";
  const secret = raw.signing?.secret;
  return {
    url: raw.url,
    method,
    format: raw.format ?? (method === "GET" ? "query" : "json"),
    pathArguments: raw.pathArguments ?? [],
    auth: toAuth(raw.auth),
    headers: { ...(raw.headers ?? {}) },
    fields: raw.fields ? toFields(raw.fields) : undefined,
    signingSecrets: secret === undefined ? [] : typeof secret === "string" ? [secret] : [...secret],
    timeoutMs: durationOr(raw.timeout, DEFAULTS.timeoutMs),
    retry: {
      maxAttempts: raw.retry?.maxAttempts ?? DEFAULTS.retry.maxAttempts,
      initialDelayMs: durationOr(raw.retry?.initialDelay, DEFAULTS.retry.initialDelayMs),
      maxDelayMs: durationOr(raw.retry?.maxDelay, DEFAULTS.retry.maxDelayMs),
    },
    maxInFlight: raw.maxInFlight ?? DEFAULTS.maxInFlight,
    tlsCa,
  };
}

function durationOr(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDuration(text) ?? fallback);
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
  const fields: Record<string, FieldSpec> = {};
  for (const [key, spec] of Object.entries(raw)) {
    if (typeof spec === "string") fields[key] = { kind: "field", field: spec as FieldName };
    else if ("template" in spec) fields[key] = { kind: "template", template: spec.template };
    else fields[key] = { kind: "value", value: spec.value };
  }
  return fields;
}

function authSecrets(auth: Auth): string[] {
  if (auth.type === "basic") return [auth.password];
  if (auth.type === "token") return [auth.token];
  return [];
}

function uniqueSecrets(values: string[]): string[] {
  return [...new Set(values.filter((v) => v.length > 0))];
}
