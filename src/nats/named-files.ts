/**
 * Files named by NATS variables (NATS_CREDS, NATS_NKEY, NATS_CA, NATS_CERT, NATS_KEY), read
 * before any connection: an error names the variable and the file, never their content.
 */
import { NatsSetupError, coerceError } from "../errors.js";
import { readRegularFile } from "../regular-file.js";

/** Credentials, keys and CA bundles are kilobytes; a CA bundle of a whole system, 200 KB. */
const MAX_NAMED_FILE_BYTES = 1024 * 1024;

/**
 * Reads a file named by a variable; the error names both. Only a regular file of at most
 * 1 MiB: a FIFO would block the process before it could answer a probe or a signal, and
 * a device (`/dev/zero`) would fill its memory.
 */
export function readNamedFile(variable: string, file: string): Uint8Array {
  const cannot = (why: string, cause?: unknown) =>
    new NatsSetupError(
      `cannot read the file named by ${variable} (${file}): ${why}`,
      cause === undefined ? undefined : { cause },
    );
  let read;
  try {
    read = readRegularFile(file, MAX_NAMED_FILE_BYTES);
  } catch (err) {
    throw cannot(coerceError(err).message, err);
  }
  if (read.ok) return read.bytes;
  throw cannot(
    read.why === "not-regular"
      ? `not a regular file; name the file itself`
      : `larger than 1 MiB (${read.size} bytes); is it the right file?`,
  );
}

export function readNamedText(variable: string, file: string): string {
  return new TextDecoder().decode(readNamedFile(variable, file));
}
