/**
 * Where integration files may take secrets from: `--secrets-dir` and `--secret-env-prefix`.
 * Unset, a reference may name any variable of hookswitch's environment and any file it can
 * read, as the spec allows, and whoever writes integration files can send those to a
 * receiver of theirs. Set, the authors of integration files (a customer's administrators,
 * say) reach only the secrets meant for them: not hookswitch's own (`NATS_PASSWORD`), nor
 * the host's files (`/proc/self/environ`, a service account's token).
 */
import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Segment } from "./secrets.js";

export interface SecretPolicy {
  /** Folders `${file:…}` secrets must be in, absolute; none: any file. */
  dirs: string[];
  /** What every `${env:…}` name must start with; undefined: any variable. */
  envPrefix: string | undefined;
}

export const OPEN_POLICY: SecretPolicy = { dirs: [], envPrefix: undefined };

/** `--secrets-dir` and `--secret-env-prefix` as given (comma-separated folders). */
export function parseSecretPolicy(dirs: string | undefined, envPrefix: string | undefined) {
  const list = (dirs ?? "")
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "")
    .map((d) => resolve(d));
  return { dirs: list, envPrefix: envPrefix === "" ? undefined : envPrefix };
}

type Reference = Exclude<Segment, { kind: "text" }>;

/** Below `dir`: a name in it may start with `..` (Kubernetes' `..data`), a step up may not. */
const inside = (dir: string, path: string): boolean => {
  const rest = relative(dir, path);
  return rest !== "" && rest !== ".." && !rest.startsWith(`..${sep}`) && !isAbsolute(rest);
};

/**
 * Why the policy refuses a reference, judged from the file's text alone (so `validate`
 * checks it in CI without the secrets), or undefined. `full` is the referenced file's
 * absolute path.
 */
export function refusedReference(
  policy: SecretPolicy,
  reference: Reference,
  full: (path: string) => string,
): string | undefined {
  if (reference.kind === "env") {
    const { envPrefix } = policy;
    if (envPrefix === undefined || reference.name.startsWith(envPrefix)) return undefined;
    return (
      `environment variable ${reference.name} is not one integration files may read: ` +
      `its name must start with ${envPrefix} (--secret-env-prefix)`
    );
  }
  const path = full(reference.path);
  if (policy.dirs.length === 0 || policy.dirs.some((dir) => inside(dir, path))) return undefined;
  // A relative path or one with `..` is named as resolved too: that is the one compared.
  const resolved = path === reference.path ? "" : ` (that is ${path})`;
  return `secret file ${reference.path}${resolved} is outside ${policy.dirs.join(", ")} (--secrets-dir)`;
}

/**
 * The file a secret reference names, its links followed as the kernel follows them, when it
 * is inside a secrets folder (its links followed too); undefined when a link leads out.
 * The caller reads this path, not the one written: `a/link/../x` is `x` beside the link's
 * target, which is what the kernel would open, not `a/x` (Node's own `realpath` drops `..`
 * as text first). Throws what `realpath` throws.
 */
export function realSecretPath(policy: SecretPolicy, path: string): string | undefined {
  const real = realpathSync.native(path);
  if (policy.dirs.length === 0) return real;
  return policy.dirs.some((dir) => inside(realOr(dir), real)) ? real : undefined;
}

function realOr(dir: string): string {
  try {
    return realpathSync.native(dir);
  } catch {
    return dir;
  }
}
