/**
 * The rules of `webhook.headers` (and of the bearer token, which goes into a header as it
 * is): names hookswitch sets itself or that would change the request's framing, names that
 * differ only in letter case, and values holding control characters, written or resolved.
 * Their messages are shared with `schema-messages.ts`, so validate and the schema agree.
 */
import type { Rule, RuleProblem } from "./rules.js";
import { displayPath, type PathSegment } from "../text.js";
import { resolvedAt } from "../references.js";

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

/**
 * A field value is visible text, spaces and tabs (RFC 9110): any other control character
 * would break the request (CR, LF: header injection) or be refused or cut by a receiver (NUL).
 */
// Control characters are what this pattern is for.
// eslint-disable-next-line no-control-regex
const HEADER_VALUE_CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Written in the file (the schema says it first) or, once resolved, from a secret. */
export const headerValueControls: Rule = (input) =>
  Object.entries(input.raw.webhook.headers ?? {}).flatMap(([name, written]) => {
    const path: PathSegment[] = ["webhook", "headers", name];
    const literal = headerValueControlMessage(displayPath(path), written);
    if (literal !== undefined) return [{ path, message: literal }];
    const now = input.value.webhook.headers?.[name];
    if (!resolvedAt(input, path) || now === undefined || !HEADER_VALUE_CONTROL.test(now)) {
      return [];
    }
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
 * header, so it is refused wherever it comes from, written in the file (as a header value
 * is) or a resolved secret.
 */
export const tokenControls: Rule = (input) => {
  const path: PathSegment[] = ["webhook", "auth", "token"];
  const written = input.raw.webhook.auth?.token;
  const literal =
    written === undefined ? undefined : headerValueControlMessage(displayPath(path), written);
  if (literal !== undefined) return [{ path, message: literal }];
  const token = input.value.webhook.auth?.token;
  const known = resolvedAt(input, path);
  if (!known || token === undefined || !HEADER_VALUE_CONTROL.test(token)) return [];
  const what = /[\r\n]/.test(token)
    ? "a line break (CR or LF)"
    : "a control character (other than tab)";
  return [
    {
      path,
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
