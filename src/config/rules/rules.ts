/**
 * Semantic rules of one integration. Each rule is a pure function of one integration
 * (as written, and after secret handling) returning problems; none throws. Those the
 * JSON Schema also expresses (reserved headers, control characters in header values, unknown
 * placeholders, user-info in a URL, a written-out signing secret, the timeout's range) fire there first when a file is
 * loaded; here they also judge resolved secrets, and their messages are shared with
 * `schema-errors.ts` so the user reads the same words either way.
 */
import { durationOr, formatDuration, parseDuration } from "../durations.js";
import { isFieldName, placeholderNames } from "../placeholders.js";
import type { RawIntegration } from "../parse/raw.js";
import { parseReferences, knownValue, type Segment } from "../secrets.js";
import { basicUserName } from "./auth-rules.js";
import {
  duplicateHeaders,
  headerValueControls,
  reservedHeaders,
  tokenControls,
} from "./header-rules.js";
import { constantRequestSize } from "./size-rules.js";
import { httpUrl, urlPlaceholders } from "./url-rules.js";
import { withInvisibleNote } from "../parse/invisible.js";
import { displayPath, type PathSegment } from "../text.js";
import { guessField, mayRepeat } from "../field-guess.js";
import { resolvedAt } from "../references.js";
import { DEFAULTS, FIELD_NAMES } from "../types.js";

export interface RuleInput {
  /** The document as written (references not resolved). */
  raw: RawIntegration;
  /** After secret handling: resolved values, or the same text when references are kept. */
  value: RawIntegration;
  /** True when references were resolved, so `value` holds the final strings. */
  resolved: boolean;
  /**
   * Where references were left as written all the same (a secret not set, say; see
   * `pathKey`): those strings are not final, every other one is.
   */
  unresolved?: ReadonlySet<string>;
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

/**
 * The text written as such (outside `${…}` references) of each string that may hold
 * placeholders and has a brace, with its path: where placeholders are read.
 */
export function placeholderLiterals(raw: RawIntegration): Array<[PathSegment[], string[]]> {
  return placeholderTexts(raw).flatMap(([path, text]): Array<[PathSegment[], string[]]> => {
    if (!text.includes("{") && !text.includes("}")) return [];
    const parsed = parseReferences(text);
    if (!parsed.ok) return []; // reported as a malformed reference
    return [[path, literalsBesideEscapes(parsed.segments)]];
  });
}

/** What an escaped `${` closes: the text up to the first `}`, when it opens no brace itself. */
const ESCAPE_CLOSED = /^[^{}]*\}/;

/**
 * The literal runs, each escaped `${`'s own `…}` left out: `$${name}` sends `${name}`, its
 * braces paired, so the `name}` after the escape is neither a placeholder nor a slip.
 */
function literalsBesideEscapes(segments: Segment[]): string[] {
  const literals: string[] = [];
  let afterEscape = false;
  for (const segment of segments) {
    if (segment.kind === "text" && !segment.escaped) {
      const text = afterEscape ? segment.text.replace(ESCAPE_CLOSED, "") : segment.text;
      if (text) literals.push(text);
    }
    afterEscape = segment.kind === "text" && segment.escaped === true;
  }
  return literals;
}

const unknownPlaceholders: Rule = ({ raw }) =>
  placeholderLiterals(raw).flatMap(([path, literals]) => {
    const names = literals.flatMap(placeholderNames);
    return names
      .filter((name) => !isFieldName(name))
      .map((name) => {
        return { path, message: unknownPlaceholderMessage(name, path) };
      });
  });

export function unknownPlaceholderMessage(name: string, path: readonly PathSegment[]): string {
  const guess = guessField(name);
  const hint = guess ? ` (did you mean {${guess}}?)` : "";
  const fields = `fields are: ${FIELD_NAMES.join(", ")}`;
  if (!mayRepeat(name)) {
    return `unknown placeholder in ${displayPath(path)}: the name in braces there is no field's; ${fields}`;
  }
  return `unknown placeholder {${name}} in ${displayPath(path)}${hint}; ${fields}`;
}

const SIGNING_SECRET =
  /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

const signingSecretShape: Rule = (input) => {
  const secret = input.value.webhook.signing?.secret;
  if (secret === undefined) return [];
  const list = typeof secret === "string" ? [secret] : secret;
  return list.flatMap((text, i) => {
    const path: PathSegment[] =
      typeof secret === "string"
        ? ["webhook", "signing", "secret"]
        : ["webhook", "signing", "secret", i];
    const value = knownValue(text, resolvedAt(input, path));
    if (value === undefined || SIGNING_SECRET.test(value)) return [];
    const message = signingSecretMessage(displayPath(path), value);
    return [{ path, message: withInvisibleNote(message, value) }];
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
      message: `webhook.retry.initialDelay (${webhook.retry?.initialDelay ?? formatDuration(DEFAULTS.retry.initialDelayMs)}) must not be longer than webhook.retry.maxDelay (${webhook.retry?.maxDelay ?? formatDuration(DEFAULTS.retry.maxDelayMs)})`,
    });
  }
  return problems;
};

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
const emptyOnceResolved: Rule = (input) => {
  const { raw, value } = input;
  const problems: RuleProblem[] = [];
  // Only a reference can make a written value empty; most values hold none.
  const check = (path: PathSegment[], written: string | undefined, now: string | undefined) => {
    if (now === "" && written?.includes("${") && resolvedAt(input, path)) {
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
  constantRequestSize,
];

export function checkRules(input: RuleInput, rules: readonly Rule[] = RULES): RuleProblem[] {
  return rules.flatMap((rule) => rule(input));
}
