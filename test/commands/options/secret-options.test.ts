import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  secretPolicyOf,
  secretPolicyWarning,
} from "../../../src/commands/options/secret-options.js";
import { UsageError } from "../../../src/errors.js";

describe("secretPolicyOf", () => {
  it.each<[string | undefined, string | undefined, { dirs: string[]; envPrefix?: string }]>([
    [undefined, undefined, { dirs: [] }],
    ["", "", { dirs: [] }],
    ["   ", undefined, { dirs: [] }],
    ["/run/secrets", undefined, { dirs: ["/run/secrets"] }],
    ["/run/secrets, ,/etc/hs,", "HS_", { dirs: ["/run/secrets", "/etc/hs"], envPrefix: "HS_" }],
    ["secrets", undefined, { dirs: [resolve("secrets")] }],
  ])("reads --secrets-dir %j and --secret-env-prefix %j", (secretsDir, secretEnvPrefix, policy) => {
    expect(secretPolicyOf({ secretsDir, secretEnvPrefix })).toEqual({
      envPrefix: undefined,
      ...policy,
    });
  });

  it.each([",", " , ,", ",,"])("refuses --secrets-dir %j, which names no folder", (secretsDir) => {
    let error: unknown;
    try {
      secretPolicyOf({ secretsDir });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(`--secrets-dir "${secretsDir}" names no folder`);
  });
});

describe("secretPolicyWarning", () => {
  it.each<[string[], string | undefined, boolean]>([
    [[], undefined, false],
    [["/run/secrets"], undefined, false],
    [["/run/secrets"], "HS_", false],
    [[], "HS_", true],
  ])("with folders %j and prefix %j warns: %s", (dirs, envPrefix, warns) => {
    const warning = secretPolicyWarning({ dirs, envPrefix });
    if (!warns) expect(warning).toBeUndefined();
    else {
      expect(warning).toBe(
        "--secret-env-prefix is set without --secrets-dir: a ${file:…} reference can still read " +
          "any file, the process's environment (/proc/self/environ) among them; set --secrets-dir too",
      );
    }
  });
});
