/**
 * What the documents of one file read besides the file: `${file:}` secrets, within the
 * secret policy, and CA files; each a regular file of at most 1 MiB, all of them together
 * at most `MAX_SECRET_BYTES_PER_FILE`.
 */
import { realpathSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { LoadOptions } from "./load-file.js";
import type { CaRead, DocumentContext } from "../parse/document.js";
import { caBundleProblem } from "../ca-bundle.js";
import { readRegularFile } from "../../regular-file.js";
import { OPEN_POLICY, realSecretPath, refusedReference } from "../secret-policy.js";
import { SecretBudgetError } from "../secret-files.js";
import { DEFAULTS } from "../types.js";

/** How a file is read: `readRegularFile`, or (in tests) the same counted. */
export type FileReader = typeof readRegularFile;

/**
 * Made once per load of a file. Each file is read once in that load, whatever the
 * spelling that names it and whether as a secret or a CA: 600 references to one file of
 * nearly 1 MiB were 600 reads and 600 copies, and `q1/../big.txt`, `q2/../big.txt`, …
 * as many reads of one file.
 */
export function documentContext(
  file: string,
  options: LoadOptions,
  reader: FileReader = readRegularFile,
): DocumentContext {
  const near = (path: string) => (isAbsolute(path) ? path : resolve(dirname(file), path));
  const policy = options.secretPolicy ?? OPEN_POLICY;
  const open = policy.dirs.length === 0 && policy.envPrefix === undefined;
  const texts = budgeted(reader);
  // The real path: the one key of a file however it is spelled, and what is then read.
  const real = (path: string) => realpathSync.native(near(path));
  const secretPath = (path: string) => {
    const inside = realSecretPath(policy, near(path));
    if (inside === undefined) throw new Error("a link leads outside --secrets-dir");
    return inside;
  };
  const checked = new Map<string, CaRead>();
  const readCa = (path: string): CaRead => {
    const key = real(path);
    let ca = checked.get(key);
    if (!ca) {
      const text = texts(key);
      ca = { text, problem: caBundleProblem(text) };
      checked.set(key, ca);
    }
    return ca;
  };
  return {
    file,
    mode: options.secrets,
    sources: {
      env: options.env ?? process.env,
      readFile: spelledOnce((path) => texts(open ? real(path) : secretPath(path))),
      locate: near,
      ...(open ? {} : { refuse: (ref) => refusedReference(policy, ref, near) }),
    },
    readCa: spelledOnce(readCa),
  };
}

/**
 * What the secret and CA files one integration file names may hold together, in bytes.
 * Each may be 1 MiB and each string 1 MiB, but 10,000 documents naming two other large
 * files each would otherwise hold 20 GB for one load; real secrets come to a few kilobytes.
 */
const MAX_SECRET_BYTES_PER_FILE = 16 * 1024 * 1024;

type Outcome<T> = { value: T } | { error: unknown };

/**
 * Remembers what `get` gave for each path as given (a spelling, or a real path), or what it
 * threw, for one load.
 */
function spelledOnce<T>(get: (path: string) => T): (path: string) => T {
  const seen = new Map<string, Outcome<T>>();
  return (path) => {
    let outcome = seen.get(path);
    if (!outcome) {
      outcome = attempt(() => get(path));
      seen.set(path, outcome);
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  };
}

/**
 * The text of each file by its real path, read once, each read limited to what is left of
 * `MAX_SECRET_BYTES_PER_FILE`: a file past it is refused by its size before any byte is
 * read, and once nothing is left, no file is opened at all.
 */
function budgeted(reader: FileReader): (real: string) => string {
  let left = MAX_SECRET_BYTES_PER_FILE;
  const read = (real: string): string => {
    if (left <= 0) throw new SecretBudgetError(TOO_MUCH);
    const max = DEFAULTS.maxFileBytes;
    const got = reader(real, Math.min(max, left));
    if (!got.ok && got.why === "not-regular") throw new Error("not a regular file");
    if (!got.ok) {
      if (got.size > max) throw new Error("larger than 1 MiB");
      throw new SecretBudgetError(TOO_MUCH);
    }
    left -= got.bytes.length;
    return got.bytes.toString("utf8");
  };
  return spelledOnce(read);
}

function attempt<T>(get: () => T): Outcome<T> {
  try {
    return { value: get() };
  } catch (error) {
    return { error };
  }
}

const TOO_MUCH =
  "the secret and CA files this file names hold more than 16 MiB together; name fewer or smaller ones";
