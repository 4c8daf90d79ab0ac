/**
 * Secrets written in clear in an integration file, and signing secrets too short to be
 * safe. The spec says secrets are never committed in clear, and integration files live in
 * git: `validate` warns (a CI job shows the warning beside the line) and the daemon logs
 * it. Neither refuses the file, as a file kept out of git for a local test may hold a
 * throw-away secret.
 */
import type { RawIntegration } from "../parse/raw.js";
import type { RuleProblem } from "./rules.js";
import { parseReferences } from "../secrets.js";
import { displayPath, plural, type PathSegment } from "../text.js";

/**
 * The values hookswitch treats as secrets, each with where it is written. Read from any
 * parsed YAML, not only a file that passed the schema: a secret in clear is worth saying
 * even while the file has other problems, as it is in git already.
 */
function secretValues(data: unknown): Array<[PathSegment[], string]> {
  const webhook = field(data, "webhook");
  const auth = field(webhook, "auth");
  const found: Array<[PathSegment[], string]> = [];
  for (const key of ["token", "password"] as const) {
    const text = field(auth, key);
    if (typeof text === "string") found.push([["webhook", "auth", key], text]);
  }
  // An Authorization beside auth basic or token is refused already: no warning on top.
  const authSets = ["basic", "token"].includes(String(field(auth, "type")));
  const headers = field(webhook, "headers");
  if (typeof headers === "object" && headers !== null && !Array.isArray(headers)) {
    for (const [name, value] of Object.entries(headers)) {
      if (authSets && name.toLowerCase() === "authorization") continue;
      // A value made with {field} placeholders is the event's, not a credential.
      if (typeof value === "string" && isCredentialHeader(name) && !value.includes("{"))
        found.push([["webhook", "headers", name], value]);
    }
  }
  const secret = field(field(webhook, "signing"), "secret");
  if (typeof secret === "string") found.push([["webhook", "signing", "secret"], secret]);
  else if (Array.isArray(secret)) {
    secret.forEach((s: unknown, i) => {
      if (typeof s === "string") found.push([["webhook", "signing", "secret", i], s]);
    });
  }
  return found;
}

const CREDENTIAL_HEADER =
  /^(?:authorization|proxy-authorization|cookie)$|api[-_]?key|token|secret|password/i;

/** A custom header that carries a credential by its name: `Authorization`, `X-Api-Key`… */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADER.test(name);
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** A secret with no `${env:…}` or `${file:…}` in it: what is written is the secret. */
function isInClear(text: string): boolean {
  if (text === "") return false;
  const parsed = parseReferences(text);
  return parsed.ok && parsed.segments.every((s) => s.kind === "text");
}

export function secretsInClear(raw: unknown): RuleProblem[] {
  return secretValues(raw)
    .filter(([, text]) => isInClear(text))
    .map(([path]) => ({
      path,
      message:
        `${displayPath(path)} holds its secret in clear, and integration files are kept in git: ` +
        "reference it with ${env:NAME} or ${file:/path} instead",
    }));
}

/** Standard Webhooks asks for signing keys of 24 to 64 random bytes. */
const MIN_SIGNING_KEY_BYTES = 24;

/**
 * Signing secrets whose key is shorter than Standard Webhooks asks for: judged where the
 * secret is known, written out or resolved (`value`), and named by path, never shown.
 */
export function shortSigningSecrets(value: RawIntegration): RuleProblem[] {
  return secretValues(value)
    .filter(([path, text]) => path[1] === "signing" && /^whsec_[A-Za-z0-9+/=]+$/.test(text))
    .flatMap(([path, text]) => {
      const bytes = Buffer.from(text.slice("whsec_".length), "base64").length;
      if (bytes >= MIN_SIGNING_KEY_BYTES) return [];
      return [
        {
          path,
          message:
            `${displayPath(path)} is a key of ${plural(bytes, "byte")}: Standard Webhooks asks for ` +
            `${MIN_SIGNING_KEY_BYTES} to 64 random bytes (whsec_ and their base64)`,
        },
      ];
    });
}

/**
 * A rotation list that holds one secret twice (judged, as above, on the secret as written or
 * resolved): each request carries the same signature twice, and the secret meant as the new
 * one (or the old) is missing. Named by path, never shown.
 */
export function repeatedSigningSecrets(value: RawIntegration): RuleProblem[] {
  const firstAt = new Map<string, PathSegment[]>();
  return secretValues(value)
    .filter(([path]) => path[1] === "signing" && path.length === 4)
    .flatMap(([path, text]) => {
      const first = firstAt.get(text);
      if (first === undefined) {
        firstAt.set(text, path);
        return [];
      }
      return [
        {
          path,
          message:
            `${displayPath(path)} is the same secret as ${displayPath(first)}: while rotating, ` +
            "list the secret being retired and its successor, one of each",
        },
      ];
    });
}
