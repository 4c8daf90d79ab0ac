/**
 * The configuration digest: a short hash that names the integration files in force, so
 * that replicas (and `validate` in CI) can be compared at a glance. It covers each file
 * that runs something, by its path relative to the folder (`/`-separated) and the
 * SHA-256 of the bytes of the version in force: for a file broken since, its last valid
 * version. A file with problems and no valid version runs nothing and is not counted;
 * the invalid-file count says it is there. Only file bytes are hashed, never a resolved
 * secret: files hold references, not values.
 */
import { createHash } from "node:crypto";
import { relative, sep } from "node:path";
import { compareText } from "./text.js";

/** One file in force: its path relative to the folder, and the SHA-256 (hex) of its bytes. */
export interface DigestEntry {
  path: string;
  sha256: string;
}

/** Hex digits shown: enough to tell configurations apart, short enough to read out. */
const DIGEST_LENGTH = 12;

/** The digest of a set of files, whatever their order. */
export function configDigest(entries: Iterable<DigestEntry>): string {
  const sorted = [...entries].sort((a, b) => compareText(a.path, b.path));
  const hash = createHash("sha256");
  // A path holds no NUL byte, and a hex hash has a fixed length: no two sets hash alike.
  for (const { path, sha256 } of sorted) hash.update(`${path}\0${sha256}\0`);
  return hash.digest("hex").slice(0, DIGEST_LENGTH);
}

/**
 * `file` relative to `root`, `/`-separated, so that the same files give the same digest
 * wherever the folder is mounted; without a root, the path as given.
 */
export function digestPath(root: string | undefined, file: string): string {
  if (root === undefined) return toSlashes(file);
  // Discovery names files `join(root, …)`: past that prefix is what `relative` gives, without
  // resolving both paths for each of thousands of files (most of its cost otherwise).
  const prefix = root.endsWith(sep) ? root : root + sep;
  return toSlashes(file.startsWith(prefix) ? file.slice(prefix.length) : relative(root, file));
}

const toSlashes = (path: string): string => (sep === "/" ? path : path.split(sep).join("/"));

/** What a generation's files give: those serving a version, with that version's hash. */
export function digestInForce(
  root: string | undefined,
  files: Iterable<{ file: string; lastValidHash: string | undefined }>,
): string {
  const entries: DigestEntry[] = [];
  for (const { file, lastValidHash } of files) {
    if (lastValidHash !== undefined)
      entries.push({ path: digestPath(root, file), sha256: lastValidHash });
  }
  return configDigest(entries);
}

/** What a load gives (`validate`): its valid files, as a daemon starting on them serves. */
export function digestOfValid(
  root: string,
  files: Iterable<{ file: string; hash: string; problems: readonly unknown[] }>,
): string {
  const valid = [...files].filter((f) => f.problems.length === 0);
  return digestInForce(
    root,
    valid.map((f) => ({ file: f.file, lastValidHash: f.hash })),
  );
}
