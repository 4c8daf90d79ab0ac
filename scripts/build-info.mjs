#!/usr/bin/env node
/**
 * Writes dist/build-info.json: the source revision a build was made from, which the daemon
 * reports beside its version (the `revision` label of hookswitch_build_info, the status page,
 * its start line), so that replicas of two builds of one version can be told apart.
 *
 * The revision is HOOKSWITCH_REVISION when set (a container build passes it as a build
 * argument: the image's context holds no git history), else the commit checked out, with
 * `-dirty` when tracked files differ from it, else none ("unknown" in what the daemon reports).
 *
 *   node scripts/build-info.mjs [--out PATH]     (npm run build runs it)
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../", import.meta.url));
/** A commit, a tag or a version: nothing that needs escaping in a label, a log or a page. */
const REVISION = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;

export class BuildInfoError extends Error {
  name = "BuildInfoError";
}

/**
 * The revision to record, from HOOKSWITCH_REVISION or from git (`git(args)` runs git in the
 * checkout and returns its output, or throws when there is no git or no checkout).
 */
export function revisionFrom(env, git) {
  const given = env.HOOKSWITCH_REVISION?.trim();
  if (given) {
    if (!REVISION.test(given)) {
      throw new BuildInfoError(
        `HOOKSWITCH_REVISION "${given.slice(0, 80)}" is not a revision: give a commit, a tag ` +
          "or a version (letters, digits, '.', '_', '+', '-'; at most 64 characters)",
      );
    }
    return given;
  }
  let commit;
  try {
    commit = git(["rev-parse", "HEAD"]).trim();
  } catch {
    return undefined; // no git, or not a checkout: the revision is unknown
  }
  if (!REVISION.test(commit)) return undefined;
  try {
    const changed = git(["status", "--porcelain", "--untracked-files=no"]).trim() !== "";
    return changed ? `${commit}-dirty` : commit;
  } catch {
    return commit; // the commit is known, whether files changed is not
  }
}

function runGit(args) {
  return execFileSync("git", args, {
    cwd: REPO,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 10_000,
  });
}

function main(argv) {
  const at = argv.indexOf("--out");
  const out =
    at >= 0 ? argv[at + 1] : fileURLToPath(new URL("../dist/build-info.json", import.meta.url));
  if (!out) throw new BuildInfoError("--out needs a path");
  const revision = revisionFrom(process.env, runGit);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(revision ? { revision } : {})}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`build-info: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
