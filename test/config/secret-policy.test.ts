import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  parseSecretPolicy,
  realSecretPath,
  refusedReference,
  type SecretPolicy,
} from "../../src/config/secret-policy.js";

const near = (path: string) => resolve("/etc/hookswitch/integrations.d", path);

describe("refusedReference: what --secrets-dir and --secret-env-prefix allow", () => {
  const policy: SecretPolicy = { dirs: ["/run/secrets", "/var/hooks/keys"], envPrefix: "CRM_" };

  it.each<
    [
      string,
      SecretPolicy,
      { kind: "env"; name: string } | { kind: "file"; path: string },
      string | undefined,
    ]
  >([
    [
      "any variable without a prefix",
      { dirs: [], envPrefix: undefined },
      { kind: "env", name: "NATS_PASSWORD" },
      undefined,
    ],
    [
      "any file without folders",
      { dirs: [], envPrefix: undefined },
      { kind: "file", path: "/proc/self/environ" },
      undefined,
    ],
    ["a variable with the prefix", policy, { kind: "env", name: "CRM_TOKEN" }, undefined],
    [
      "a variable without it",
      policy,
      { kind: "env", name: "NATS_PASSWORD" },
      "environment variable NATS_PASSWORD is not one integration files may read: its name must start with CRM_ (--secret-env-prefix)",
    ],
    [
      "a file in a secrets folder",
      policy,
      { kind: "file", path: "/run/secrets/crm/token" },
      undefined,
    ],
    ["a file in the second folder", policy, { kind: "file", path: "/var/hooks/keys/k" }, undefined],
    [
      "a host file",
      policy,
      { kind: "file", path: "/proc/self/environ" },
      "secret file /proc/self/environ is outside /run/secrets, /var/hooks/keys (--secrets-dir)",
    ],
    [
      "a variable that holds the prefix but does not start with it",
      policy,
      { kind: "env", name: "X_CRM_TOKEN" },
      "environment variable X_CRM_TOKEN is not one integration files may read: its name must start with CRM_ (--secret-env-prefix)",
    ],
    [
      "the folder's parent",
      policy,
      { kind: "file", path: "/run" },
      "secret file /run is outside /run/secrets, /var/hooks/keys (--secrets-dir)",
    ],
    [
      "a way out with ..",
      policy,
      { kind: "file", path: "/run/secrets/../../etc/passwd" },
      "secret file /run/secrets/../../etc/passwd (that is /etc/passwd) is outside /run/secrets, /var/hooks/keys (--secrets-dir)",
    ],
    [
      "a folder whose name starts alike",
      policy,
      { kind: "file", path: "/run/secrets-other/t" },
      "secret file /run/secrets-other/t is outside /run/secrets, /var/hooks/keys (--secrets-dir)",
    ],
    [
      "a name in it that starts with ..",
      policy,
      { kind: "file", path: "/run/secrets/..data/t" },
      undefined,
    ],
    [
      "the folder itself",
      policy,
      { kind: "file", path: "/run/secrets" },
      "secret file /run/secrets is outside /run/secrets, /var/hooks/keys (--secrets-dir)",
    ],
    [
      "a relative path, from the integration file's folder",
      policy,
      { kind: "file", path: "../../../run/secrets/t" },
      undefined,
    ],
    [
      "a relative path that leads elsewhere, named as resolved",
      policy,
      { kind: "file", path: "../secrets/t" },
      "secret file ../secrets/t (that is /etc/hookswitch/secrets/t) is outside /run/secrets, /var/hooks/keys (--secrets-dir)",
    ],
  ])("%s", (_title, p, reference, expected) => {
    expect(refusedReference(p, reference, near)).toBe(expected);
  });
});

describe("parseSecretPolicy", () => {
  it("takes comma-separated folders as absolute paths, and an empty prefix as none", () => {
    expect(parseSecretPolicy(" /run/secrets , keys ,", "")).toEqual({
      dirs: ["/run/secrets", resolve("keys")],
      envPrefix: undefined,
    });
    expect(parseSecretPolicy(undefined, "CRM_")).toEqual({ dirs: [], envPrefix: "CRM_" });
  });
});

describe("realSecretPath: links in a secrets folder", () => {
  const root = mkdtempSync(join(tmpdir(), "hookswitch-secret-policy-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const secrets = join(root, "secrets");
  // As a Kubernetes secret volume lays it out: token -> ..data/token, ..data -> ..2026_11_29.
  mkdirSync(join(secrets, "..2026_11_29"), { recursive: true });
  writeFileSync(join(secrets, "..2026_11_29", "token"), "t0ken\n");
  symlinkSync("..2026_11_29", join(secrets, "..data"));
  symlinkSync(join("..data", "token"), join(secrets, "token"));
  writeFileSync(join(root, "host-file"), "not a secret");
  symlinkSync(join(root, "host-file"), join(secrets, "escape"));
  const policy: SecretPolicy = { dirs: [secrets], envPrefix: undefined };

  it("follows a volume's own links inside it", () => {
    const real = realSecretPath(policy, join(secrets, "token"));
    expect(real).toBe(join(realpathSync.native(secrets), "..2026_11_29", "token"));
  });

  it("follows the links of a secrets folder given by a link", () => {
    symlinkSync(secrets, join(root, "secrets-link"));
    const viaLink: SecretPolicy = { dirs: [join(root, "secrets-link")], envPrefix: undefined };
    const real = realSecretPath(viaLink, join(root, "secrets-link", "token"));
    expect(real).toBe(join(realpathSync.native(secrets), "..2026_11_29", "token"));
  });

  it("follows any file's links when no folder is set", () => {
    const open: SecretPolicy = { dirs: [], envPrefix: undefined };
    expect(realSecretPath(open, join(secrets, "escape"))).toBe(
      realpathSync.native(join(root, "host-file")),
    );
  });

  it("takes a file in any one of several folders, one of them missing", () => {
    const several: SecretPolicy = { dirs: [join(root, "missing"), secrets], envPrefix: undefined };
    const real = realSecretPath(several, join(secrets, "token"));
    expect(real).toBe(join(realpathSync.native(secrets), "..2026_11_29", "token"));
  });

  it("refuses a link that leads out of the folder", () => {
    expect(realSecretPath(policy, join(secrets, "escape"))).toBeUndefined();
  });

  it("judges link/.. as the kernel opens it: beside the link's target, not in the folder", () => {
    mkdirSync(join(root, "outside", "sub"), { recursive: true });
    writeFileSync(join(root, "outside", "x"), "outside");
    writeFileSync(join(secrets, "x"), "decoy");
    symlinkSync(join(root, "outside", "sub"), join(secrets, "away"));
    expect(realSecretPath(policy, `${secrets}/away/../x`)).toBeUndefined();
  });
});
