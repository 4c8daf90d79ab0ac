/**
 * NATS over TLS with `tls://` URLs: a certificate the process trusts (NODE_EXTRA_CA_CERTS)
 * connects; one it does not is refused with what to do, not "start nats-server".
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/nats/connection.js";
import { runCli } from "../support/cli.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { hasOpenssl } from "../support/openssl.js";

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
      /^cannot reach NATS at tls:\/\/127\.0\.0\.1:\d+: self-signed certificate — the NATS server's TLS certificate is not trusted for this address: add its CA with NODE_EXTRA_CA_CERTS=\/path\/ca\.pem, or connect by a name the certificate holds$/,
    );
  });
});
