/**
 * TLS for the NATS connection: required by a `tls://` URL or by any of NATS_CA, NATS_CERT
 * and NATS_KEY. The files are checked before any connection (the client would read them
 * only while it connects, and its complaint would read as a server that is down), and
 * passed by path: the client reads them again at every connection, so a certificate
 * rotated in place is used from the next reconnection on.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import type { ConnectionOptions, TlsOptions } from "@nats-io/transport-node";
import { caBundleProblem } from "../config/ca-bundle.js";
import { NatsSetupError, coerceError } from "../errors.js";
import { readNamedText } from "./named-files.js";
import { asksForTls } from "./server-urls.js";
import type { NatsTlsFiles } from "./settings.js";

/**
 * `tls://` asks for TLS, and the nats CLI and the Go client then require it; the Node.js
 * client reads only host and port from a URL, and spoke plaintext (credentials included) to
 * a server that offers no TLS. With `tls` set it refuses such a server.
 */
export function tlsOptions(servers: string[], files?: NatsTlsFiles): Partial<ConnectionOptions> {
  const tls: TlsOptions = {};
  if (files?.ca !== undefined) {
    checkCertificates("NATS_CA", files.ca);
    // Replaces the default CAs (NODE_EXTRA_CA_CERTS included), as the nats CLI does.
    tls.caFile = files.ca;
  }
  if (files?.client !== undefined) {
    checkClientPair(files.client);
    tls.certFile = files.client.cert;
    tls.keyFile = files.client.key;
  }
  const wanted = files !== undefined || servers.some(asksForTls);
  return wanted ? { tls } : {};
}

/** What asks for TLS, for the advice when a server offers none. */
export function tlsRequiredBy(servers: string[], files?: NatsTlsFiles): string {
  const reasons = servers.some(asksForTls) ? ["tls://"] : [];
  if (files?.ca !== undefined) reasons.push("NATS_CA");
  if (files?.client !== undefined) reasons.push("NATS_CERT/NATS_KEY");
  return reasons.join(" and ");
}

function checkCertificates(variable: string, file: string): X509Certificate {
  const text = readNamedText(variable, file);
  const problem = caBundleProblem(text);
  if (problem !== undefined) {
    throw new NatsSetupError(
      `the file named by ${variable} (${file}) ${problem}: give PEM certificates`,
    );
  }
  return new X509Certificate(text);
}

/**
 * The key must be a PEM private key without a passphrase, and the certificate's: a pair
 * that does not match would only show as a handshake the server ends.
 */
function checkClientPair({ cert, key }: { cert: string; key: string }): void {
  const certificate = checkCertificates("NATS_CERT", cert);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readNamedText("NATS_KEY", key));
  } catch (err) {
    if (err instanceof NatsSetupError) throw err;
    throw new NatsSetupError(
      `the file named by NATS_KEY (${key}) holds no usable private key ` +
        `(${coerceError(err).message}): give the client key as PEM, without a passphrase`,
      { cause: err },
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new NatsSetupError(
      `the key named by NATS_KEY (${key}) is not the key of the certificate named by ` +
        `NATS_CERT (${cert}): give the certificate's own key`,
    );
  }
}
