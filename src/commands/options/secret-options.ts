/**
 * `--secrets-dir` and `--secret-env-prefix`, shared by every command that loads integration
 * files (`run`, `validate`, `render`), so that all three judge references alike.
 */
import { Option, type Command } from "commander";
import { parseSecretPolicy, type SecretPolicy } from "../../config/secret-policy.js";
import { UsageError } from "../../errors.js";

export interface SecretPolicyFlags {
  secretsDir?: string;
  secretEnvPrefix?: string;
}

export function addSecretPolicyOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--secrets-dir <dirs>",
        "read ${file:…} secrets only inside these folders (comma-separated)",
      ).env("HOOKSWITCH_SECRETS_DIRS"),
    )
    .addOption(
      new Option(
        "--secret-env-prefix <prefix>",
        "read ${env:…} secrets only from variables whose names start with this",
      ).env("HOOKSWITCH_SECRET_ENV_PREFIX"),
    );
}

/** Empty means unset; a list of only separators is a mistake, not "any file". */
export function secretPolicyOf(flags: SecretPolicyFlags): SecretPolicy {
  const policy = parseSecretPolicy(flags.secretsDir, flags.secretEnvPrefix);
  if (flags.secretsDir?.trim() && policy.dirs.length === 0) {
    throw new UsageError(`--secrets-dir "${flags.secretsDir}" names no folder`);
  }
  return policy;
}

/**
 * `${file:/proc/self/environ}` reads every variable: a prefix alone keeps nothing from
 * whoever writes integration files. Said once at start, where operators look.
 */
export function secretPolicyWarning(policy: SecretPolicy): string | undefined {
  if (policy.envPrefix === undefined || policy.dirs.length > 0) return undefined;
  return (
    "--secret-env-prefix is set without --secrets-dir: a ${file:…} reference can still read " +
    "any file, the process's environment (/proc/self/environ) among them; set --secrets-dir too"
  );
}
