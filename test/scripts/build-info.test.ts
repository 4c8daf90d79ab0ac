import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BuildInfoError, revisionFrom } from "../../scripts/build-info.mjs";
import { REPO } from "../support/cli.js";

const run = promisify(execFile);
const SHA = "4f2a9c1e0b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e";

/** A git that answers `rev-parse` with `head` and `status` with `status`, or has no checkout. */
function fakeGit(head: string | undefined, status = "") {
  return (args: string[]) => {
    if (head === undefined) throw new Error("fatal: not a git repository");
    return args[0] === "rev-parse" ? `${head}\n` : status;
  };
}

/** A git whose `status` fails (a timeout, say) once `rev-parse` has answered `head`. */
function statusFails(head: string) {
  return (args: string[]) => {
    if (args[0] === "rev-parse") return `${head}\n`;
    throw new Error("git status timed out");
  };
}

describe("the revision a build records", () => {
  it.each([
    ["HOOKSWITCH_REVISION as given", { HOOKSWITCH_REVISION: SHA }, fakeGit("0000000"), SHA],
    ["a tag", { HOOKSWITCH_REVISION: "v0.1.0" }, fakeGit(SHA), "v0.1.0"],
    ["trimmed", { HOOKSWITCH_REVISION: ` ${SHA}\n` }, fakeGit(undefined), SHA],
    ["the commit checked out", {}, fakeGit(SHA), SHA],
    ["an empty HOOKSWITCH_REVISION: git's", { HOOKSWITCH_REVISION: "" }, fakeGit(SHA), SHA],
    ["changed tracked files", {}, fakeGit(SHA, " M src/cli.ts\n"), `${SHA}-dirty`],
    ["no checkout: none", {}, fakeGit(undefined), undefined],
    ["the commit when git cannot tell changes", {}, statusFails(SHA), SHA],
    ["git's answer not a revision: none", {}, fakeGit("HEAD\nfatal"), undefined],
  ])("is %s", (_, env, git, expected) => {
    expect(revisionFrom(env, git)).toBe(expected);
  });

  it.each([
    ["a space", "v1 beta"],
    ["a line break", "abc\ndef"],
    ["a quote", 'abc"def'],
    ["65 characters", "a".repeat(65)],
    ["a leading dash", "-abc"],
  ])("refuses a HOOKSWITCH_REVISION with %s, saying what it takes", (_, given) => {
    expect(() => revisionFrom({ HOOKSWITCH_REVISION: given }, fakeGit(SHA))).toThrow(
      BuildInfoError,
    );
    expect(() => revisionFrom({ HOOKSWITCH_REVISION: given }, fakeGit(SHA))).toThrow(
      /give a commit, a tag or a version/,
    );
  });
});

describe("scripts/build-info.mjs", () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), "hookswitch-build-info-"));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const write = (env: Record<string, string>) =>
    run(process.execPath, [join(REPO, "scripts/build-info.mjs"), "--out", join(folder, "b.json")], {
      env: { ...process.env, ...env },
    });
  const written = async () =>
    JSON.parse(await readFile(join(folder, "b.json"), "utf8")) as { revision?: string };

  it("records the commit of this checkout", async () => {
    const git = (args: string[]) => execFileSync("git", args, { cwd: REPO, encoding: "utf8" });
    const head = git(["rev-parse", "HEAD"]).trim();
    await write({ HOOKSWITCH_REVISION: "" });
    const { revision, ...rest } = await written();
    expect(revision).toMatch(new RegExp(`^${head}(-dirty)?$`));
    expect(rest).toEqual({});
  });

  it("records HOOKSWITCH_REVISION when a build passes it", async () => {
    await write({ HOOKSWITCH_REVISION: SHA });
    expect(await written()).toEqual({ revision: SHA });
  });

  it("fails the build on a HOOKSWITCH_REVISION that is no revision", async () => {
    const failed = (await write({ HOOKSWITCH_REVISION: "not one" }).then(
      () => undefined,
      (err: unknown) => err,
    )) as { code?: number; stderr?: string } | undefined;
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^build-info: HOOKSWITCH_REVISION "not one" is not a revision/);
  });
});
