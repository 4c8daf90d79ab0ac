/**
 * NATS over TLS with `tls://` URLs: a certificate the process trusts (NODE_EXTRA_CA_CERTS)
 * connects; one it does not is refused with what to do, not "start nats-server". NATS_CA
 * replaces the CAs the process trusts, and asks for TLS as `tls://` does.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/nats/connection.js";
import { runCli } from "../support/cli.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { hasOpenssl, makeCertificates } from "../support/openssl.js";
import { sleep } from "../support/wait.js";

describe.skipIf(!hasOpenssl)("NATS at a tls:// URL", () => {
  let dir: string;
  let server: NatsServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-nats-tls-"));
    // Self-signed: trusted only where NODE_EXTRA_CA_CERTS names it.
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { cwd: dir, stdio: "ignore" },
    );
    server = await startNatsServer([
      "--tls",
      "--tlscert",
      join(dir, "cert.pem"),
      "--tlskey",
      join(dir, "key.pem"),
    ]);
  });

  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects when the process trusts the server's certificate", async () => {
    const result = await runCli(["dlq", "list", "--nats", `tls://127.0.0.1:${server.port}`], {
      env: { NODE_EXTRA_CA_CERTS: join(dir, "cert.pem") },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("no dead letters\n");
  });

  it("says how to trust a certificate it does not, instead of to start nats-server", async () => {
    const attempt = connectNats(
      { servers: [`tls://127.0.0.1:${server.port}`], auth: { kind: "none" } },
      { name: "tls-test", waitOnFirstConnect: false },
    );
    await expect(attempt).rejects.toThrow(
      /^cannot reach NATS at tls:\/\/127\.0\.0\.1:\d+: self-signed certificate — the NATS server's TLS certificate is not trusted for this address: name its CA with NATS_CA=\/path\/ca\.pem \(or add it with NODE_EXTRA_CA_CERTS\), or connect by a name the certificate holds$/,
    );
  });

  it("trusts only NATS_CA when it is set, not NODE_EXTRA_CA_CERTS too", async () => {
    const other = makeCertificates(mkdtempSync(join(dir, "other-ca-")));
    const result = await runCli(["dlq", "list", "--nats", `tls://127.0.0.1:${server.port}`], {
      env: { NODE_EXTRA_CA_CERTS: join(dir, "cert.pem"), NATS_CA: other.ca },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not trusted for this address/);
  });

  it("refuses a server that offers no TLS when NATS_CA asks for it, and says what asked", async () => {
    const plain = await startNatsServer([], { jetstream: false });
    try {
      const attempt = connectNats(
        { servers: [plain.url], auth: { kind: "none" }, tls: { ca: join(dir, "cert.pem") } },
        { name: "tls-test", waitOnFirstConnect: false },
      );
      await expect(attempt).rejects.toThrow(
        / — the server offers no TLS, which NATS_CA requires: enable TLS in nats-server, or write nats:\/\/ and unset NATS_CA, NATS_CERT and NATS_KEY to connect without it$/,
      );
    } finally {
      await plain.dispose();
    }
  });
});

describe.skipIf(!hasOpenssl)("NATS that verifies client certificates", () => {
  let dir: string;
  let server: NatsServer;
  let ca: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-nats-mtls-"));
    const certs = makeCertificates(dir);
    ca = certs.ca;
    server = await startNatsServer(
      ["--tlsverify", "--tlscert", certs.serverCert, "--tlskey", certs.serverKey].concat([
        "--tlscacert",
        certs.ca,
      ]),
      { jetstream: false },
    );
  });

  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells a command without a client certificate so at once, not at the end of its timeout", async () => {
    const attempt = connectNats(
      { servers: [server.url], auth: { kind: "none" }, tls: { ca } },
      { name: "mtls-test", waitOnFirstConnect: false, timeoutMs: 30_000 },
    );
    const outcome = await Promise.race([
      attempt.then(
        () => "connected",
        (err: Error) => err.message,
      ),
      sleep(10_000).then(() => "still waiting after 10 s"),
    ]);
    expect(outcome).toMatch(
      /^cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+: no client certificate — the NATS server requires a client certificate \(TLS verify\): set NATS_CERT and NATS_KEY/,
    );
  });
});
