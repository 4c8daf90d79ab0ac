/**
 * The in-memory form of an integration file, after schema validation, defaults and
 * secret resolution. This is what matching, rendering and delivery consume.
 */

export const EVENT_TYPES = ["user.created", "user.deleted", "user.modified"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Field names, in the order of the table in README.md, "Field values". */
export const FIELD_NAMES = [
  "extensionNumber",
  "name",
  "outboundPhoneNumber",
  "hasVoicemail",
  "enabledCalls",
  "dateTime",
  "serviceUuid",
  "serviceName",
  "serviceFriendlyName",
  "serviceType",
  "account",
  "event",
  "eventId",
  "eventTime",
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

/** Where each field is read in an event (`dateTime` is the time of sending). */
export const FIELD_SOURCES: Readonly<Record<Exclude<FieldName, "dateTime">, string>> = {
  extensionNumber: "data.user.extension",
  name: "data.user.name",
  outboundPhoneNumber: "data.user.outboundNumber",
  hasVoicemail: "data.user.hasVoicemail",
  enabledCalls: "data.user.enabledCalls",
  serviceUuid: "data.service.uuid",
  serviceName: "data.service.name",
  serviceFriendlyName: "data.service.friendlyName",
  serviceType: "data.service.type",
  account: "data.account",
  event: "type",
  eventId: "id",
  eventTime: "time",
};

/**
 * The fields an event may lack (left out or null) or hold as empty text, each with where it
 * is read: a path argument made of these alone can come out empty. The event schema makes
 * every other field present and not empty.
 */
export const OPTIONAL_FIELDS: Readonly<Partial<Record<FieldName, string>>> = {
  extensionNumber: FIELD_SOURCES.extensionNumber,
  name: FIELD_SOURCES.name,
  outboundPhoneNumber: FIELD_SOURCES.outboundPhoneNumber,
  hasVoicemail: FIELD_SOURCES.hasVoicemail,
  enabledCalls: FIELD_SOURCES.enabledCalls,
  serviceName: FIELD_SOURCES.serviceName,
  serviceFriendlyName: FIELD_SOURCES.serviceFriendlyName,
  eventTime: FIELD_SOURCES.eventTime,
};

/** One entry of `webhook.fields`: a field of the event, a constant, or a `{field}` template. */
export type FieldSpec =
  | { kind: "field"; field: FieldName }
  | { kind: "value"; value: string | number | boolean | null }
  | { kind: "template"; template: string };

export type Scope = { account: string } | { service: string };

export type Auth =
  | { type: "none" }
  | { type: "basic"; username: string; password: string }
  | { type: "token"; token: string };

export interface RetryPolicy {
  /** Total attempts including the first; 1 means no retry. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** `[start, end)` of a stretch of a string. */
export type TextRange = readonly [start: number, end: number];

export interface Webhook {
  url: string;
  method: "POST" | "GET";
  format: "json" | "query" | "form";
  pathArguments: string[];
  auth: Auth;
  headers: Record<string, string>;
  /** Undefined when the file omits `fields`: every field is sent under its own name. */
  fields: Record<string, FieldSpec> | undefined;
  /** Signing secrets (`whsec_…`), several during rotation; empty when not signing. */
  signingSecrets: string[];
  timeoutMs: number;
  retry: RetryPolicy;
  maxInFlight: number;
  /** PEM text of a private CA to trust, read from `webhook.tls.ca`. */
  tlsCa: string | undefined;
  /**
   * Text in a path argument, header value or template that the file did not write as
   * template (a secret's value, an escaped `${`), by `templateKey` of its place: no
   * `{field}` placeholder is read there. Absent when there is none.
   */
  literals?: Record<string, TextRange[]>;
}

/** Where a template is in `webhook`, as `Webhook.literals` names it. */
export function templateKey(
  place: readonly ["pathArguments", number] | readonly ["headers" | "fields", string],
): string {
  return JSON.stringify(place);
}

export interface SourceLocation {
  /** Path as given by discovery (relative to the working directory when possible). */
  file: string;
  /** 1-based line and column of the integration's `name` value in that file. */
  line: number;
  column: number;
}

export interface Integration {
  name: string;
  description: string | undefined;
  enabled: boolean;
  type: "webhook";
  scope: Scope;
  trigger: { serviceType: string; events: EventType[] };
  webhook: Webhook;
  source: SourceLocation;
  /**
   * Set when a secret reference fed a value that output shows: output (the status page,
   * `validate`, messages, a masked `render`, dead letters, logs) reads these instead, so
   * no resolved secret is shown. The Authorization header and the signature are always
   * masked whole, so references in `auth` and `signing` alone need none.
   */
  shown?: ShownIntegration;
  /**
   * The secrets references put in what goes to the receiver (the URL, headers, payload and
   * `auth`): a receiver's answer may quote them, and what a dead letter keeps of it shows
   * them masked (`maskEchoedSecrets`). Unset when no reference fed any of those.
   */
  sentSecrets?: readonly string[];
}

export interface ShownIntegration {
  /** As written in the file: a reference shows as `${env:NAME}`. */
  description: string | undefined;
  scope: Scope;
  /** The webhook with `SECRET_MARK` where each reference was, for masked renders. */
  webhook: Webhook;
  /** The URL's host came from a reference: failure messages name no host. */
  secretHost: boolean;
}

/** One problem found while loading, printed as `file:line:col: message`. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
  /** The integration's name when the problem belongs to one that could be named. */
  integration?: string;
  /** Set on the line that stands for a file's problems past the ones listed: how many. */
  unlisted?: number;
}

export const DEFAULTS = {
  timeoutMs: 10_000,
  maxTimeoutMs: 60_000,
  retry: { maxAttempts: 12, initialDelayMs: 1_000, maxDelayMs: 3_600_000 },
  maxInFlight: 64,
  maxFileBytes: 1024 * 1024,
} as const;
