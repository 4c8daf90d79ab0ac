/**
 * Semantic rules of one integration. Each rule is a pure function of one integration
 * (as written, and after secret handling) returning problems; none throws. Those the
 * JSON Schema also expresses (reserved headers, unknown placeholders, user-info in a URL,
 * a written-out signing secret, the timeout's range) fire there first when a file is
 * loaded; here they also judge resolved secrets, and their messages are shared with
 * `schema-errors.ts` so the user reads the same words either way.
 */
import { parseDuration } from "./durations.js";
import { isFieldName, placeholderNames } from "./placeholders.js";
import type { RawIntegration } from "./raw.js";
import { literalText, parseReferences, textBetweenReferences } from "./secrets.js";
import { closest, displayPath, type PathSegment } from "./text.js";
import { DEFAULTS, FIELD_NAMES } from "./types.js";

export interface RuleInput {
  /** The document as written (references not resolved). */
  raw: RawIntegration;
  /** After secret handling: resolved values, or the same text when references are kept. */
  value: RawIntegration;
  /** True when references were resolved, so `value` holds the final strings. */
  resolved: boolean;
}

export interface RuleProblem {
  path: PathSegment[];
  onKey?: boolean;
  message: string;
}

export type Rule = (input: RuleInput) => RuleProblem[];

/**
 * A string's final value when it is known: resolved, or written without references (an
 * escaped `$${` is then the `${` it stands for); undefined while a reference is in it.
 */
function finalValue(text: string, input: RuleInput): string | undefined {
  if (input.resolved || !text.includes("${")) return text;
  const parsed = parseReferences(text);
  if (!parsed.ok || parsed.segments.some((s) => s.kind !== "text")) return undefined;
  return parsed.segments.map((s) => (s.kind === "text" ? s.text : "")).join("");
}

/** Each string that may hold `{field}` placeholders, with its path. */
function placeholderTexts(raw: RawIntegration): Array<[PathSegment[], string]> {
  const webhook = raw.webhook;
  const texts: Array<[PathSegment[], string]> = [];
  (webhook.pathArguments ?? []).forEach((text, i) =>
    texts.push([["webhook", "pathArguments", i], text]),
  );
  for (const [name, text] of Object.entries(webhook.headers ?? {})) {
    texts.push([["webhook", "headers", name], text]);
  }
  for (const [key, spec] of Object.entries(webhook.fields ?? {})) {
    if (typeof spec === "object" && "template" in spec) {
      texts.push([["webhook", "fields", key, "template"], spec.template]);
    }
  }
  return texts;
}

export const unknownPlaceholders: Rule = ({ raw }) =>
  placeholderTexts(raw).flatMap(([path, text]) => {
    if (!text.includes("{")) return [];
    const parsed = parseReferences(text);
    if (!parsed.ok) return []; // reported as a malformed reference
    const names = literalText(parsed.segments).flatMap(placeholderNames);
    return names
      .filter((name) => !isFieldName(name))
      .map((name) => {
        return { path, message: unknownPlaceholderMessage(name, path) };
      });
  });

export function unknownPlaceholderMessage(name: string, path: readonly PathSegment[]): string {
  const guess = closest(name, FIELD_NAMES);
  const hint = guess ? ` (did you mean {${guess}}?)` : "";
  return `unknown placeholder {${name}} in ${displayPath(path)}${hint}; fields are: ${FIELD_NAMES.join(", ")}`;
}

const ALWAYS_RESERVED = [
  "host",
  "content-length",
  "content-type",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
];

export const reservedHeaders: Rule = ({ raw }) => {
  const authType = raw.webhook.auth?.type ?? "none";
  const reserved = authType === "none" ? ALWAYS_RESERVED : [...ALWAYS_RESERVED, "authorization"];
  return Object.keys(raw.webhook.headers ?? {})
    .filter((name) => reserved.includes(name.toLowerCase()))
    .map((name) => ({
      path: ["webhook", "headers", name],
      onKey: true,
      message: reservedHeaderMessage(name, authType),
    }));
};

export function reservedHeaderMessage(name: string, authType: string): string {
  const lower = name.toLowerCase();
  if (lower === "authorization") {
    return `header ${name} is set by webhook.auth (type ${authType}); remove it from webhook.headers`;
  }
  if (lower === "expect") {
    return `header ${name} cannot be sent: hookswitch sends each request whole, without waiting for a 100 Continue; remove it`;
  }
  return `header ${name} is set by hookswitch and cannot be set in webhook.headers; remove it`;
}

export const duplicateHeaders: Rule = ({ raw }) => {
  const seen = new Map<string, string>();
  const problems: RuleProblem[] = [];
  for (const name of Object.keys(raw.webhook.headers ?? {})) {
    const first = seen.get(name.toLowerCase());
    if (first === undefined) seen.set(name.toLowerCase(), name);
    else {
      problems.push({
        path: ["webhook", "headers", name],
        onKey: true,
        message: `header ${name} is already set as ${first} (header names ignore case)`,
      });
    }
  }
  return problems;
};

/** Literal CR/LF is caught by the schema; this catches it in resolved secret values. */
export const headerValueLineBreaks: Rule = ({ raw, value, resolved }) =>
  resolved
    ? Object.entries(value.webhook.headers ?? {})
        .filter(
          ([name, text]) =>
            /[\r\n]/.test(text) && !/[\r\n]/.test(raw.webhook.headers?.[name] ?? ""),
        )
        .map(([name]) => ({
          path: ["webhook", "headers", name],
          message: `header ${name}: its value contains a line break (CR or LF) once secrets are resolved`,
        }))
    : [];

/**
 * `user:password@` in a URL as written, a `${…}` reference counting as one character of it:
 * credentials are refused by reference too (webhook.auth is where they go). The schema's
 * `not` pattern for webhook.url is this one.
 */
const WRITTEN_USER_INFO =
  /^https?:\/\/[/\\]*(?:(?:\$\{[^}]*\}|\$(?!\{)|[^/\\?#$:])(?:\$\{[^}]*\}|\$(?!\{)|[^/\\?#$])*|:(?:\$\{[^}]*\}|\$(?!\{)|[^/\\?#$])+)@/;

export const httpUrl: Rule = (input) => {
  const value = input.value.webhook.url;
  const at = (message: string) => [{ path: ["webhook", "url"], message }];
  if (NO_HOST.test(input.raw.webhook.url)) return at(noHostMessage());
  const url = finalValue(value, input);
  if (url === undefined) return WRITTEN_USER_INFO.test(value) ? at(URL_USER_INFO_MESSAGE) : [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return at("webhook.url is not a valid absolute URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    // Part of a URL that comes from a secret is a secret: name the reference, not the value.
    const got = input.raw.webhook.url.includes("${")
      ? "once its ${…} references are resolved"
      : `(got ${parsed.protocol.slice(0, -1)})`;
    return at(`webhook.url must use http or https ${got}`);
  }
  if (parsed.username || parsed.password) {
    return at(URL_USER_INFO_MESSAGE);
  }
  if (NO_HOST.test(url)) return at(noHostMessage(" once its ${…} references are resolved"));
  return [];
};

/** A URL parser reads `https:///api/x` as the host "api": what was written has no host. */
export const NO_HOST = /^https?:\/\/[/\\]/i;
export function noHostMessage(when = ""): string {
  return `webhook.url has no host${when}: write it as http(s)://host/path`;
}

/** A URL is sent as written: `{field}` placeholders are filled in only where SPEC puts them. */
export const urlPlaceholders: Rule = ({ raw }) => {
  const name = urlPlaceholder(raw.webhook.url);
  return name === undefined
    ? []
    : [{ path: ["webhook", "url"], message: urlPlaceholderMessage(name) }];
};

/**
 * The first `{field}`-like placeholder in a URL's literal text. References are not text, and
 * an escaped `$${…}` (the only way literal text holds `${`) says the braces are meant: it
 * stands as one character no placeholder can hold, as the schema's pattern reads it.
 */
export function urlPlaceholder(url: string): string | undefined {
  if (!url.includes("{")) return undefined;
  const parsed = parseReferences(url);
  if (!parsed.ok) return undefined;
  const text = textBetweenReferences(parsed.segments).map((t) => t.replace(ESCAPED_REFERENCE, " "));
  return text.flatMap(placeholderNames)[0];
}

const ESCAPED_REFERENCE = /\$\{[^}]*\}/g;

export function urlPlaceholderMessage(name: string): string {
  return (
    `webhook.url is sent as written, so {${name}} would not be filled in: put it in ` +
    `webhook.pathArguments (or, for a query parameter, in webhook.fields with format query)`
  );
}

export const URL_USER_INFO_MESSAGE =
  "webhook.url must not carry user:password@; use webhook.auth type basic";

const SIGNING_SECRET =
  /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

export const signingSecretShape: Rule = (input) => {
  const secret = input.value.webhook.signing?.secret;
  if (secret === undefined) return [];
  const list = typeof secret === "string" ? [secret] : secret;
  return list.flatMap((text, i) => {
    const value = finalValue(text, input);
    if (value === undefined || SIGNING_SECRET.test(value)) return [];
    const path: PathSegment[] =
      typeof secret === "string"
        ? ["webhook", "signing", "secret"]
        : ["webhook", "signing", "secret", i];
    return [
      {
        path,
        message: `${displayPath(path)} must look like whsec_<base64> (a Standard Webhooks secret)`,
      },
    ];
  });
};

export const durationLimits: Rule = ({ raw }) => {
  const webhook = raw.webhook;
  const problems: RuleProblem[] = [];
  // A duration written wrong is the schema's to report: it is not judged against another.
  const timeoutMs = durationOr(webhook.timeout, DEFAULTS.timeoutMs);
  if (timeoutMs !== undefined && (timeoutMs > DEFAULTS.maxTimeoutMs || timeoutMs === 0)) {
    problems.push({
      path: ["webhook", "timeout"],
      message: timeoutMessage(webhook.timeout),
    });
  }
  const initial = durationOr(webhook.retry?.initialDelay, DEFAULTS.retry.initialDelayMs);
  const max = durationOr(webhook.retry?.maxDelay, DEFAULTS.retry.maxDelayMs);
  for (const key of ["initialDelay", "maxDelay"] as const) {
    const written = webhook.retry?.[key];
    const ms = written === undefined ? undefined : parseDuration(written);
    if (written !== undefined && ms !== undefined && ms < MIN_RETRY_DELAY_MS) {
      problems.push({ path: ["webhook", "retry", key], message: retryDelayMessage(key, written) });
    }
  }
  if (initial !== undefined && max !== undefined && initial > max) {
    const path = webhook.retry?.initialDelay
      ? ["webhook", "retry", "initialDelay"]
      : ["webhook", "retry", "maxDelay"];
    problems.push({
      path,
      message: `webhook.retry.initialDelay (${webhook.retry?.initialDelay ?? "1s"}) must not be longer than webhook.retry.maxDelay (${webhook.retry?.maxDelay ?? "1h"})`,
    });
  }
  return problems;
};

/** The written duration in ms, the default when none is written, undefined when it is malformed. */
function durationOr(written: string | undefined, fallbackMs: number): number | undefined {
  return written === undefined ? fallbackMs : parseDuration(written);
}

/** Retries at once would hammer a receiver that is down, and cap its Retry-After at nothing. */
const MIN_RETRY_DELAY_MS = 100;

export function retryDelayMessage(key: "initialDelay" | "maxDelay", written: string): string {
  return `webhook.retry.${key} must be at least 100ms (got ${written}): retries need a pause between them`;
}

export function timeoutMessage(written: string | undefined): string {
  return `webhook.timeout must be more than 0 and at most 60s (got ${written})`;
}

/**
 * Values the schema wants non-empty, made empty by a secret (an empty Kubernetes secret or
 * variable): a bearer token of nothing, an empty path segment, no account to match.
 */
export const emptyOnceResolved: Rule = ({ raw, value, resolved }) => {
  if (!resolved) return [];
  const places: Array<[PathSegment[], string | undefined, string | undefined]> = [
    [["scope", "account"], raw.scope.account, value.scope.account],
    [["webhook", "auth", "token"], raw.webhook.auth?.token, value.webhook.auth?.token],
    ...(raw.webhook.pathArguments ?? []).map(
      (text, i): [PathSegment[], string, string | undefined] => [
        ["webhook", "pathArguments", i],
        text,
        value.webhook.pathArguments?.[i],
      ],
    ),
  ];
  return places
    .filter(([, written, now]) => written !== undefined && written !== "" && now === "")
    .map(([path]) => ({
      path,
      message: `${displayPath(path)} is empty once its \${…} references are resolved: check that secret`,
    }));
};

export const RULES: readonly Rule[] = [
  emptyOnceResolved,
  unknownPlaceholders,
  reservedHeaders,
  duplicateHeaders,
  headerValueLineBreaks,
  httpUrl,
  urlPlaceholders,
  signingSecretShape,
  durationLimits,
];

export function checkRules(input: RuleInput, rules: readonly Rule[] = RULES): RuleProblem[] {
  return rules.flatMap((rule) => rule(input));
}
