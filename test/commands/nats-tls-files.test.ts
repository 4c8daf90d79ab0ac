/**
 * TLS files and NKeys as the nats CLI reads them (NATS_CA, NATS_CERT, NATS_KEY, NATS_NKEY),
 * with the built CLI and daemon against real nats-servers: one that verifies client
 * certificates, one with a private CA, one that knows an NKey user.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startDaemon, tempDir, writeIntegration, type RunningDaemon } from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { hasOpenssl, makeCertificates, type TestCertificates } from "../support/openssl.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

/** Nothing of the test's own environment decides how the CLI connects. */
const NO_NATS_VARIABLES = Object.fromEntries(
  ["USER", "PASSWORD", "TOKEN", "CREDS", "NKEY", "CA", "CERT", "KEY", "URL"].map((name) => [
    `NATS_${name}`,
    undefined,
  ]),
);
const NO_DEAD_LETTERS = "no dead letters\n";

describe.skipIf(!hasOpenssl)("NATS with TLS files", () => {
  let dir: ReturnType<typeof tempDir>;
  let certs: TestCertificates;
  let mtls: NatsServer;
  let mtlsEnv: Record<string, string | undefined>;

  beforeAll(async () => {
    dir = tempDir("hookswitch-nats-tls-files-");
    certs = makeCertificates(dir.path);
    mtls = await startNatsServer(["--tlsverify", ...serverTls(certs), "--tlscacert", certs.ca]);
    mtlsEnv = {
      ...NO_NATS_VARIABLES,
      NATS_URL: `nats://127.0.0.1:${mtls.port}`,
      NATS_CA: certs.ca,
      NATS_CERT: certs.clientCert,
      NATS_KEY: certs.clientKey,
    };
  });
  afterAll(async () => {
    await mtls?.dispose();
    dir.cleanup();
  });

  it("dlq list connects to a server that verifies clients with NATS_CA, NATS_CERT and NATS_KEY", async () => {
    const result = await runCli(["dlq", "list"], { env: mtlsEnv });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(NO_DEAD_LETTERS);
  });

  it("is refused by that server without a client certificate, and says to set one", async () => {
    const env = { ...mtlsEnv, NATS_CERT: undefined, NATS_KEY: undefined };
    const result = await runCli(["dlq", "list"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^hookswitch: cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+: .* — the NATS server requires a client certificate \(TLS verify\): set NATS_CERT and NATS_KEY/,
    );
  });

  it("is refused by that server with a certificate of another CA, and says what to check", async () => {
    const stranger = makeCertificates(join(dir.path, "stranger"));
    const env = { ...mtlsEnv, NATS_CERT: stranger.clientCert, NATS_KEY: stranger.clientKey };
    const result = await runCli(["dlq", "list"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      ` — the NATS server verifies client certificates and may have refused NATS_CERT (${stranger.clientCert}): check that a CA it trusts signed it, that it is in date and that it allows client authentication\n`,
    );
  });

  it("trusts a private CA with NATS_CA alone", async () => {
    const tls = await startNatsServer(serverTls(certs));
    try {
      const url = `nats://127.0.0.1:${tls.port}`;
      const trusted = await runCli(["dlq", "list"], {
        env: { ...NO_NATS_VARIABLES, NATS_URL: url, NATS_CA: certs.ca },
      });
      expect(trusted.code).toBe(0);
      expect(trusted.stdout).toBe(NO_DEAD_LETTERS);
      const untrusted = await runCli(["dlq", "list"], {
        env: { ...NO_NATS_VARIABLES, NATS_URL: url },
      });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/not trusted for this address: name its CA with NATS_CA=/);
      const stranger = makeCertificates(join(dir.path, "stranger-ca"));
      const otherCa = await runCli(["dlq", "list"], {
        env: { ...NO_NATS_VARIABLES, NATS_URL: url, NATS_CA: stranger.ca },
      });
      expect(otherCa.code).toBe(1);
      expect(otherCa.stderr).toContain(
        `not trusted for this address: the CAs of NATS_CA (${stranger.ca}) must sign it, or connect by a name the certificate holds\n`,
      );
    } finally {
      await tls.dispose();
    }
  });

  type Change = (c: TestCertificates) => Record<string, string | undefined>;
  it.each<[string, number, Change, RegExp]>([
    [
      "a key without its certificate",
      2,
      () => ({ NATS_CERT: undefined }),
      /^hookswitch: NATS_KEY is set without NATS_CERT: .*set both NATS_CERT and NATS_KEY, or neither\n$/,
    ],
    [
      "a certificate without its key",
      2,
      () => ({ NATS_KEY: undefined }),
      /^hookswitch: NATS_CERT is set without NATS_KEY: .*set both NATS_CERT and NATS_KEY, or neither\n$/,
    ],
    [
      "a CA file that cannot be read",
      1,
      () => ({ NATS_CA: "/nonexistent/ca.pem" }),
      /^hookswitch: cannot read the file named by NATS_CA \(\/nonexistent\/ca\.pem\)/,
    ],
    [
      "a key file that holds a certificate",
      1,
      (c) => ({ NATS_KEY: c.ca }),
      /^hookswitch: the file named by NATS_KEY .* holds no usable private key/,
    ],
  ])("refuses %s before connecting, with exit code %i", async (_what, code, change, message) => {
    const result = await runCli(["dlq", "list"], { env: { ...mtlsEnv, ...change(certs) } });
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
  });

  describe("the daemon", () => {
    let receiver: Receiver;
    let daemon: RunningDaemon | undefined;

    beforeAll(async () => {
      receiver = await startReceiver();
      writeIntegration(dir.path, "crm", { url: `${receiver.url}/crm` });
    });
    afterAll(async () => {
      if (daemon && daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
      await daemon?.exited;
      await receiver.close();
    });

    it("runs with mutual TLS and delivers what emit publishes with it, logging no key", async () => {
      daemon = await startDaemon({ natsUrl: mtlsEnv.NATS_URL ?? "", dir: dir.path, env: mtlsEnv });
      expect(daemon.output()).toContain("connected to NATS");
      const emitted = await runCli(["emit", "user.created"], { env: mtlsEnv });
      expect(emitted.code).toBe(0);
      await waitFor(() => receiver.requests.length > 0, { timeoutMs: 10_000, what: "a webhook" });
      expect(await daemon.stop()).toBe(0);
      const keyLine = readFileSync(certs.clientKey, "utf8").split("\n")[1] ?? "";
      expect(daemon.output()).not.toContain(keyLine);
    }, 40_000);
  });
});

describe("NATS with an NKey (NATS_NKEY)", () => {
  let dir: ReturnType<typeof tempDir>;
  let nats: NatsServer;
  const user = nkeys.createUser();
  const seedOf = (pair: nkeys.KeyPair) => new TextDecoder().decode(pair.getSeed());

  beforeAll(async () => {
    dir = tempDir("hookswitch-nats-nkey-");
    const config = join(dir.path, "nats.conf");
    writeFileSync(config, `authorization { users = [ { nkey: "${user.getPublicKey()}" } ] }\n`);
    nats = await startNatsServer(["-c", config]);
  });
  afterAll(async () => {
    await nats?.dispose();
    dir.cleanup();
  });

  const dlqListWithSeed = (seed: string, more: Record<string, string> = {}) => {
    const file = join(dir.path, "user.nk");
    writeFileSync(file, `${seed}\n`);
    const env = { ...NO_NATS_VARIABLES, NATS_URL: nats.url, NATS_NKEY: file, ...more };
    return runCli(["dlq", "list"], { env });
  };

  it("dlq list logs in with the user's seed", async () => {
    const result = await dlqListWithSeed(seedOf(user));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(NO_DEAD_LETTERS);
  });

  it("is refused with a wrong seed, and says to check the credentials without showing it", async () => {
    const wrong = seedOf(nkeys.createUser());
    const result = await dlqListWithSeed(wrong);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/authorization violation.* — check the NATS credentials/);
    expect(result.stderr).not.toContain(wrong.slice(2, 20));
  });

  it("is refused beside NATS_TOKEN as a usage error", async () => {
    const result = await dlqListWithSeed(seedOf(user), { NATS_TOKEN: "t" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/set only one of NATS_CREDS, NATS_NKEY, NATS_TOKEN/);
  });

  it("refuses a file without a user seed (exit 1), without showing what it holds", async () => {
    const result = await dlqListWithSeed("s3cret-password");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^hookswitch: the file named by NATS_NKEY \(.*\) holds no NKey seed/,
    );
    expect(result.stderr).not.toContain("s3cret");
  });
});

function serverTls(certs: TestCertificates): string[] {
  return ["--tls", "--tlscert", certs.serverCert, "--tlskey", certs.serverKey];
}
