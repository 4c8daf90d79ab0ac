/**
 * What the documents of one file read besides the file: `${file:}` secrets, within the
 * secret policy, and a CA file; each a regular file of at most 1 MiB.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import type { LoadOptions } from "./load-file.js";
import type { DocumentContext } from "../parse/document.js";
import { readRegularFile } from "../../regular-file.js";
import { OPEN_POLICY, realSecretPath, refusedReference } from "../secret-policy.js";
import { DEFAULTS } from "../types.js";

/** A `${file:}` secret or a CA: only a regular file, read as an integration file is. */
function readText(path: string): string {
  const read = readRegularFile(path, DEFAULTS.maxFileBytes);
  if (read.ok) return read.bytes.toString("utf8");
  throw new Error(read.why === "not-regular" ? "not a regular file" : "larger than 1 MiB");
}

/**
 * Made once per load of a file. Each referenced file is read once in that load (`once`):
 * 600 references to one file of nearly 1 MiB were 600 reads and 600 copies.
 */
export function documentContext(file: string, options: LoadOptions): DocumentContext {
  const near = (path: string) => (isAbsolute(path) ? path : resolve(dirname(file), path));
  const readLimited = (path: string) => readText(near(path));
  const policy = options.secretPolicy ?? OPEN_POLICY;
  const open = policy.dirs.length === 0 && policy.envPrefix === undefined;
  const readSecret = (path: string) => {
    const real = realSecretPath(policy, near(path));
    if (real === undefined) throw new Error("a link leads outside --secrets-dir");
    return readText(real);
  };
  return {
    file,
    mode: options.secrets,
    sources: {
      env: options.env ?? process.env,
      readFile: once(open ? readLimited : readSecret),
      ...(open ? {} : { refuse: (ref) => refusedReference(policy, ref, near) }),
    },
    readCa: readLimited,
  };
}

/**
 * What the secret files one integration file names may hold together, in bytes. Each may be
 * 1 MiB and each string 1 MiB, but 10,000 documents naming two other large files each
 * would otherwise hold 20 GB for one load; real secrets come to a few kilobytes.
 */
export const MAX_SECRET_BYTES_PER_FILE = 16 * 1024 * 1024;

/**
 * Remembers what `read` gave for each path, or what it threw, for the load of one file;
 * a file read past `MAX_SECRET_BYTES_PER_FILE` in all is not kept, and cannot be read.
 */
function once(read: (path: string) => string): (path: string) => string {
  const seen = new Map<string, { text: string } | { error: unknown }>();
  let total = 0;
  return (path) => {
    let outcome = seen.get(path);
    if (!outcome) {
      try {
        const text = read(path);
        total += Buffer.byteLength(text);
        if (total > MAX_SECRET_BYTES_PER_FILE) throw new Error(TOO_MUCH);
        outcome = { text };
      } catch (error) {
        outcome = { error };
      }
      seen.set(path, outcome);
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.text;
  };
}

const TOO_MUCH =
  "the secret files this file names hold more than 16 MiB together; name fewer or smaller ones";
