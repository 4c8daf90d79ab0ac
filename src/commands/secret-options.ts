/**
 * `--secrets-dir` and `--secret-env-prefix`, shared by every command that loads integration
 * files (`run`, `validate`, `render`), so that all three judge references alike.
 */
import { Option, type Command } from "commander";
import { parseSecretPolicy, type SecretPolicy } from "../config/secret-policy.js";

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

export function secretPolicyOf(flags: SecretPolicyFlags): SecretPolicy {
  return parseSecretPolicy(flags.secretsDir, flags.secretEnvPrefix);
}
