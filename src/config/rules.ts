/**
 * Semantic rules of one integration. Each rule is a pure function of one integration
 * (as written, and after secret handling) returning problems; none throws. Those the
 * JSON Schema also expresses (reserved headers, control characters in header values, unknown
 * placeholders, user-info in a URL, a written-out signing secret, the timeout's range) fire there first when a file is
 * loaded; here they also judge resolved secrets, and their messages are shared with
 * `schema-errors.ts` so the user reads the same words either way.
 */
import { parseDuration } from "./durations.js";
import { isFieldName, placeholderNames } from "./placeholders.js";
import type { RawIntegration } from "./raw.js";
import { literalText, parseReferences, knownValue } from "./secrets.js";
import { basicUserName } from "./auth-rules.js";
import { httpUrl, urlPlaceholders } from "./url-rules.js";
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

const unknownPlaceholders: Rule = ({ raw }) =>
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
  "content-encoding",
  "transfer-encoding",
  "te",
  "trailer",
  "proxy-connection",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
];

const reservedHeaders: Rule = ({ raw }) => {
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

const HOP_BY_HOP =
  "it speaks for one connection, not for the request (hop-by-hop), and hookswitch runs its connections itself";

/** Why a header that frames or routes the request cannot be sent, by its lower-case name. */
const CANNOT_BE_SENT = new Map([
  ["expect", "hookswitch sends each request whole, without waiting for a 100 Continue"],
  [
    "content-encoding",
    "hookswitch sends bodies unencoded (identity), and a receiver would try to decode them",
  ],
  ["te", HOP_BY_HOP],
  ["proxy-connection", HOP_BY_HOP],
  [
    "trailer",
    "it announces fields after a chunked body, and hookswitch sends every body whole, with Content-Length and no trailer",
  ],
]);

export function reservedHeaderMessage(name: string, authType: string): string {
  const lower = name.toLowerCase();
  if (lower === "authorization") {
    return `header ${name} is set by webhook.auth (type ${authType}); remove it from webhook.headers`;
  }
  const reason = CANNOT_BE_SENT.get(lower);
  if (reason !== undefined) return `header ${name} cannot be sent: ${reason}; remove it`;
  return `header ${name} is set by hookswitch and cannot be set in webhook.headers; remove it`;
}

const duplicateHeaders: Rule = ({ raw }) => {
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

/**
 * A field value is visible text, spaces and tabs (RFC 9110): any other control character
 * would break the request (CR, LF: header injection) or be refused or cut by a receiver (NUL).
 */
// Control characters are what this pattern is for.
// eslint-disable-next-line no-control-regex
const HEADER_VALUE_CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Written in the file (the schema says it first) or, once resolved, from a secret. */
const headerValueControls: Rule = ({ raw, value, resolved }) =>
  Object.entries(raw.webhook.headers ?? {}).flatMap(([name, written]) => {
    const path: PathSegment[] = ["webhook", "headers", name];
    const literal = headerValueControlMessage(displayPath(path), written);
    if (literal !== undefined) return [{ path, message: literal }];
    const now = value.webhook.headers?.[name];
    if (!resolved || now === undefined || !HEADER_VALUE_CONTROL.test(now)) return [];
    // The secret's characters are not shown, only what kind of character was found.
    const what = /[\r\n]/.test(now)
      ? "a line break (CR or LF)"
      : "a control character (other than tab)";
    return [
      {
        path,
        message: `header ${name}: its value contains ${what} once secrets are resolved: check that secret`,
      },
    ];
  });

/**
 * A bearer token goes into the Authorization header as it is (basic credentials go in
 * base64, whatever they hold): a control character there would change the request's
 * header, so it is refused where it can come from, a resolved secret.
 */
const tokenControls: Rule = ({ value, resolved }) => {
  const token = value.webhook.auth?.token;
  if (!resolved || token === undefined || !HEADER_VALUE_CONTROL.test(token)) return [];
  const what = /[\r\n]/.test(token)
    ? "a line break (CR or LF)"
    : "a control character (other than tab)";
  return [
    {
      path: ["webhook", "auth", "token"],
      message: `webhook.auth.token contains ${what} once secrets are resolved: check that secret`,
    },
  ];
};

/** For a value written in the file, or undefined when it has no control character. */
export function headerValueControlMessage(where: string, text: string): string | undefined {
  const found = HEADER_VALUE_CONTROL.exec(text)?.[0];
  if (found === undefined) return undefined;
  if (found === "\r" || found === "\n") return `${where} must not contain a line break (CR or LF)`;
  const code = `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  return `${where} must not contain the control character ${code}: a header value is text, spaces and tabs; remove it`;
}

const SIGNING_SECRET =
  /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

const signingSecretShape: Rule = (input) => {
  const secret = input.value.webhook.signing?.secret;
  if (secret === undefined) return [];
  const list = typeof secret === "string" ? [secret] : secret;
  return list.flatMap((text, i) => {
    const value = knownValue(text, input.resolved);
    if (value === undefined || SIGNING_SECRET.test(value)) return [];
    const path: PathSegment[] =
      typeof secret === "string"
        ? ["webhook", "signing", "secret"]
        : ["webhook", "signing", "secret", i];
    return [{ path, message: signingSecretMessage(displayPath(path), value) }];
  });
};

/**
 * What a signing secret that is not `whsec_<base64>` should be. Base64 without its `=`
 * padding is named: Standard Webhooks libraries differ on accepting it, so a secret one
 * receiver takes could fail at another; hookswitch asks for the padded form.
 */
export function signingSecretMessage(where: string, value: string): string {
  const shape = `${where} must look like whsec_<base64> (a Standard Webhooks secret)`;
  const base64 = value.startsWith("whsec_") ? value.slice("whsec_".length) : "";
  if (!/^[A-Za-z0-9+/]+$/.test(base64) || base64.length % 4 < 2) return shape;
  const padding = "=".repeat(4 - (base64.length % 4));
  return `${shape}: its base64 lacks the = padding at the end (add ${padding}), which Standard Webhooks libraries differ on accepting, so hookswitch requires it`;
}

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
const emptyOnceResolved: Rule = ({ raw, value, resolved }) => {
  if (!resolved) return [];
  const problems: RuleProblem[] = [];
  // Only a reference can make a written value empty; most values hold none.
  const check = (path: PathSegment[], written: string | undefined, now: string | undefined) => {
    if (now === "" && written?.includes("${")) {
      problems.push({
        path,
        message: `${displayPath(path)} is empty once its \${…} references are resolved: check that secret`,
      });
    }
  };
  check(["scope", "account"], raw.scope.account, value.scope.account);
  check(["webhook", "auth", "token"], raw.webhook.auth?.token, value.webhook.auth?.token);
  raw.webhook.pathArguments?.forEach((text, i) =>
    check(["webhook", "pathArguments", i], text, value.webhook.pathArguments?.[i]),
  );
  return problems;
};

export const RULES: readonly Rule[] = [
  emptyOnceResolved,
  unknownPlaceholders,
  reservedHeaders,
  duplicateHeaders,
  headerValueControls,
  tokenControls,
  httpUrl,
  urlPlaceholders,
  signingSecretShape,
  durationLimits,
  basicUserName,
];

export function checkRules(input: RuleInput, rules: readonly Rule[] = RULES): RuleProblem[] {
  return rules.flatMap((rule) => rule(input));
}
