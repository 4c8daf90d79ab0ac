/** Whether the `openssl` command is here, and certificates made with it for TLS tests. */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runsHere } from "./on-path.js";

export const hasOpenssl = runsHere("openssl", ["version"]);

/** Paths of a private CA, a server certificate for 127.0.0.1 and a client one, with keys. */
export interface TestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * Makes, in `dir`, a CA that signs a server certificate (localhost, 127.0.0.1) and a client
 * certificate; valid for a day.
 */
export function makeCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  openssl(
    ["req", "-x509", ...EC_KEY, "-keyout", "ca-key.pem", "-out", "ca.pem"].concat([
      "-days",
      "1",
      "-subj",
      "/CN=hookswitch test CA",
    ]),
  );
  const signed = (name: string, subject: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      ["req", "-new", ...EC_KEY, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`].concat([
        "-subj",
        subject,
      ]),
    );
    openssl(
      ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem"].concat([
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        `${name}.pem`,
        "-extfile",
        `${name}.ext`,
      ]),
    );
  };
  signed("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  signed("client", "/CN=hookswitch", "extendedKeyUsage=clientAuth\n");
  return {
    ca: join(dir, "ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server-key.pem"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client-key.pem"),
  };
}
