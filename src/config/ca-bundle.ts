/**
 * What is wrong with a `webhook.tls.ca` file, if anything. Node.js takes any text as a CA
 * and silently ignores what is not a certificate, so without this check a wrong file
 * would only show as every delivery failing verification.
 */
import { X509Certificate } from "node:crypto";

const BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)(?:-----END CERTIFICATE-----|$)/g;

/** Undefined when the text holds PEM certificates only; otherwise why it cannot serve. */
export function caBundleProblem(text: string): string | undefined {
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.length === 0) return "holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
  for (const [n, block] of blocks.entries()) {
    const which =
      blocks.length === 1 ? "its certificate" : `certificate ${n + 1} of ${blocks.length}`;
    if (!block[0].endsWith("-----END CERTIFICATE-----")) return `${which} has no END line`;
    try {
      new X509Certificate(block[0]);
    } catch (err) {
      return `${which} cannot be read (${(err as Error).message}); export it again as PEM`;
    }
  }
  return undefined;
}
