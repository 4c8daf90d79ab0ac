/**
 * Files named by NATS variables (NATS_CREDS, NATS_NKEY, NATS_CA, NATS_CERT, NATS_KEY), read
 * before any connection: an error names the variable and the file, never their content.
 */
import { readFileSync } from "node:fs";
import { NatsSetupError, coerceError } from "../errors.js";

/** Reads a file named by a variable; the error names both. */
export function readNamedFile(variable: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new NatsSetupError(
      `cannot read the file named by ${variable} (${file}): ${coerceError(err).message}`,
      { cause: err },
    );
  }
}

export function readNamedText(variable: string, file: string): string {
  return new TextDecoder().decode(readNamedFile(variable, file));
}
