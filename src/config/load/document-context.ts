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

/** Remembers what `read` gave for each path, or what it threw, for the load of one file. */
function once(read: (path: string) => string): (path: string) => string {
  const seen = new Map<string, { text: string } | { error: unknown }>();
  return (path) => {
    let outcome = seen.get(path);
    if (!outcome) {
      try {
        outcome = { text: read(path) };
      } catch (error) {
        outcome = { error };
      }
      seen.set(path, outcome);
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.text;
  };
}
