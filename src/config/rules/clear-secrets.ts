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

/** The values hookswitch treats as secrets, each with where it is written. */
function secretValues(raw: RawIntegration): Array<[PathSegment[], string]> {
  const { auth, signing } = raw.webhook;
  const found: Array<[PathSegment[], string]> = [];
  if (auth?.token !== undefined) found.push([["webhook", "auth", "token"], auth.token]);
  if (auth?.password !== undefined) found.push([["webhook", "auth", "password"], auth.password]);
  const secret = signing?.secret;
  if (typeof secret === "string") found.push([["webhook", "signing", "secret"], secret]);
  else secret?.forEach((s, i) => found.push([["webhook", "signing", "secret", i], s]));
  return found;
}

/** A secret with no `${env:…}` or `${file:…}` in it: what is written is the secret. */
function isInClear(text: string): boolean {
  if (text === "") return false;
  const parsed = parseReferences(text);
  return parsed.ok && parsed.segments.every((s) => s.kind === "text");
}

export function secretsInClear(raw: RawIntegration): RuleProblem[] {
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
