/**
 * The TLS options of the NATS connection: when TLS is required, and TLS files that cannot
 * serve, refused before any connection with the variable and the file named and nothing of
 * their content shown.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsSetupError } from "../../src/errors.js";
import { connectNats } from "../../src/nats/connection.js";
import type { NatsTlsFiles } from "../../src/nats/settings.js";
import { tlsOptions, tlsRequiredBy } from "../../src/nats/tls-options.js";
import { startNatsServer } from "../support/nats-server.js";
import { hasOpenssl, makeCertificates, type TestCertificates } from "../support/openssl.js";

describe("when the NATS connection requires TLS", () => {
  it.each([
    [["nats://a:4222"], undefined, {}],
    [["nats://a:4222", "tls://b:4222"], undefined, { tls: {} }],
    [["nats://a:4222"], {}, { tls: {} }],
    [["TLS://a:4222"], undefined, { tls: {} }],
  ])("servers %j with TLS files %j give %j", (servers, files, options) => {
    expect(tlsOptions(servers, files)).toEqual(options);
  });

  it.each([
    [["tls://a"], undefined, "tls://"],
    [["nats://a", "TLS://b"], undefined, "tls://"],
    [["nats://a"], { ca: "/ca.pem" }, "NATS_CA"],
    [["nats://a"], { client: { cert: "/c.pem", key: "/k.pem" } }, "NATS_CERT/NATS_KEY"],
    [
      ["tls://a"],
      { ca: "/ca.pem", client: { cert: "/c", key: "/k" } },
      "tls:// and NATS_CA and NATS_CERT/NATS_KEY",
    ],
  ])("servers %j with TLS files %j: TLS is required by %s", (servers, files, by) => {
    expect(tlsRequiredBy(servers, files)).toBe(by);
  });
});

describe.skipIf(!hasOpenssl)("TLS files", () => {
  let dir: string;
  let certs: TestCertificates;
  let notPem: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-tls-files-"));
    certs = makeCertificates(dir);
    notPem = join(dir, "not-pem.txt");
    writeFileSync(notPem, "s3cret-not-a-certificate\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are passed to the client by path, once checked", () => {
    const files = { ca: certs.ca, client: { cert: certs.clientCert, key: certs.clientKey } };
    expect(tlsOptions(["nats://127.0.0.1:4222"], files)).toEqual({
      tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey },
    });
  });

  const missing = () => join(dir, "missing.pem");
  it.each<[string, () => NatsTlsFiles, RegExp]>([
    [
      "NATS_CA",
      () => ({ ca: missing() }),
      /^cannot read the file named by NATS_CA \(.*missing\.pem\): ENOENT/,
    ],
    [
      "NATS_CA",
      () => ({ ca: notPem }),
      /^the file named by NATS_CA \(.*not-pem\.txt\) holds no PEM certificate/,
    ],
    [
      "NATS_CA",
      () => ({ ca: certs.clientKey }),
      /^the file named by NATS_CA \(.*client-key\.pem\) holds no PEM certificate/,
    ],
    [
      "NATS_CERT",
      () => ({ client: { cert: missing(), key: certs.clientKey } }),
      /^cannot read the file named by NATS_CERT \(.*missing\.pem\)/,
    ],
    [
      "NATS_CERT",
      () => ({ client: { cert: notPem, key: certs.clientKey } }),
      /^the file named by NATS_CERT \(.*not-pem\.txt\) holds no PEM certificate/,
    ],
    [
      "NATS_KEY",
      () => ({ client: { cert: certs.clientCert, key: missing() } }),
      /^cannot read the file named by NATS_KEY \(.*missing\.pem\)/,
    ],
    [
      "NATS_KEY",
      () => ({ client: { cert: certs.clientCert, key: notPem } }),
      /^the file named by NATS_KEY \(.*not-pem\.txt\) holds no usable private key .*: give the client key as PEM, without a passphrase$/,
    ],
    [
      "NATS_KEY",
      () => ({ client: { cert: certs.clientCert, key: certs.serverKey } }),
      /^the key named by NATS_KEY \(.*server-key\.pem\) is not the key of the certificate named by NATS_CERT \(.*client\.pem\)/,
    ],
  ])("refuses a %s file that cannot serve: %#", (_variable, files, message) => {
    const error = errorOf(() => tlsOptions(["nats://127.0.0.1:4222"], files()));
    expect(error).toBeInstanceOf(NatsSetupError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("s3cret");
    expect(error.message).not.toContain(keyBody(certs.clientKey));
    expect(error.message).not.toContain(keyBody(certs.serverKey));
  });
});

describe.skipIf(!hasOpenssl)("a client certificate rotated in place", () => {
  it("is read again at the next attempt to connect", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookswitch-tls-rotate-"));
    const certs = makeCertificates(dir);
    mkdirSync(join(dir, "stranger"));
    // A consistent pair from a CA the server does not trust: it passes the checks, and the
    // server refuses it.
    const stranger = makeCertificates(join(dir, "stranger"));
    const mounted = { cert: join(dir, "mounted.pem"), key: join(dir, "mounted-key.pem") };
    copyFileSync(stranger.clientCert, mounted.cert);
    copyFileSync(stranger.clientKey, mounted.key);
    const server = await startNatsServer([
      ...["--tlsverify", "--tls", "--tlscert", certs.serverCert, "--tlskey", certs.serverKey],
      ...["--tlscacert", certs.ca],
    ]);
    try {
      const connecting = connectNats(
        { servers: [server.url], auth: { kind: "none" }, tls: { ca: certs.ca, client: mounted } },
        { name: "rotate-test", waitOnFirstConnect: true },
      );
      // Refused meanwhile: the waiting client tries again every second.
      const pending = Symbol("pending");
      const early = await Promise.race([
        connecting.then(
          () => "connected",
          () => "failed",
        ),
        new Promise((resolve) => setTimeout(resolve, 1_500, pending)),
      ]);
      expect(early).toBe(pending);
      copyFileSync(certs.clientKey, mounted.key);
      copyFileSync(certs.clientCert, mounted.cert);
      const nc = await Promise.race([
        connecting,
        failAfter(12_000, "no connection with the new certificate"),
      ]);
      await nc.close();
    } finally {
      await server.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

function failAfter(ms: number, what: string): Promise<never> {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new Error(what)), ms).unref());
}

/** A line from the middle of a PEM key, which no message may hold. */
function keyBody(file: string): string {
  return readFileSync(file, "utf8").split("\n")[1] ?? "";
}

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (err) {
    return err as Error;
  }
  throw new Error("no error");
}
