import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  configDigest,
  digestInForce,
  digestOfValid,
  digestPath,
  type DigestEntry,
} from "../../src/config/digest.js";
import { nextGeneration, type LoadedFile } from "../../src/config/watch/generation.js";
import { makeIntegration } from "../support/integration.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const entry = (path: string, text: string): DigestEntry => ({ path, sha256: sha(text) });

const A = entry("a.yaml", "name: a");
const B = entry("b.yaml", "name: b");
const NESTED = entry("team/c.yaml", "name: c");

describe("configDigest", () => {
  it("is 12 hex digits", () => {
    expect(configDigest([A, B])).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each<[string, DigestEntry[], DigestEntry[]]>([
    ["the order files are listed in", [A, B, NESTED], [NESTED, B, A]],
    ["nothing else: the same files give the same digest", [A, B], [{ ...A }, { ...B }]],
  ])("does not depend on %s", (_, one, other) => {
    expect(configDigest(one)).toBe(configDigest(other));
  });

  it.each<[string, DigestEntry[], DigestEntry[]]>([
    ["a file's content", [A, B], [A, entry("b.yaml", "name: b2")]],
    ["a file's path (a rename)", [A, B], [A, { ...B, path: "renamed.yaml" }]],
    ["a file's folder", [NESTED], [{ ...NESTED, path: "other/c.yaml" }]],
    ["a file added", [A], [A, B]],
    [
      "contents swapped between paths",
      [A, B],
      [
        { ...A, path: "b.yaml" },
        { ...B, path: "a.yaml" },
      ],
    ],
    [
      "where a path ends and its hash begins",
      [entry("a", "x")],
      [{ path: "a\0", sha256: sha("x") }],
    ],
  ])("changes with %s", (_, one, other) => {
    expect(configDigest(one)).not.toBe(configDigest(other));
  });

  it("names an empty folder too", () => {
    expect(configDigest([])).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe("digestPath", () => {
  it.each<[string, string | undefined, string, string]>([
    ["a file in the folder", "/srv/integrations.d", "/srv/integrations.d/a.yaml", "a.yaml"],
    [
      "a file in a subfolder, /-separated",
      "/srv/i",
      join("/srv/i", "team", "c.yaml"),
      "team/c.yaml",
    ],
    ["a relative folder", "integrations.d", "integrations.d/a.yaml", "a.yaml"],
    ["a folder given with a trailing /", "integrations.d/", "integrations.d/a.yaml", "a.yaml"],
    ["the working folder", ".", "a.yaml", "a.yaml"],
    ["a folder given with ./", "./integrations.d", "integrations.d/a.yaml", "a.yaml"],
    ["a folder above the working one", "../i", "../i/team/c.yaml", "team/c.yaml"],
    ["a folder given with ..", "x/../integrations.d", "integrations.d/a.yaml", "a.yaml"],
    ["no folder: the path as given", undefined, "integrations.d/a.yaml", "integrations.d/a.yaml"],
  ])("names %s relative to it", (_, root, file, path) => {
    expect(digestPath(root, file)).toBe(path);
  });

  it("gives the same digest for the same files wherever the folder is", () => {
    const at = (root: string) =>
      digestInForce(root, [
        { file: join(root, "a.yaml"), lastValidHash: A.sha256 },
        { file: join(root, "team", "c.yaml"), lastValidHash: NESTED.sha256 },
      ]);
    expect(at("/git/.worktrees/1111/integrations.d")).toBe(
      at("/etc/hookswitch/..2026_01_01/integrations.d"),
    );
    expect(at("/srv/x")).toBe(configDigest([A, NESTED]));
  });
});

const ROOT = "/srv/integrations.d";

/** A file as the loader gives it: valid content names its integration, the hash its bytes'. */
function loaded(name: string, text: string, valid = true): LoadedFile {
  const file = join(ROOT, `${name}.yaml`);
  const problem = { file, line: 1, column: 1, message: "broken" };
  return {
    file,
    hash: sha(text),
    integrations: valid ? [makeIntegration({ name, source: { file, line: 1, column: 1 } })] : [],
    problems: valid ? [] : [problem],
  };
}

const generate = (files: LoadedFile[][]) => {
  let state: ReturnType<typeof nextGeneration>["state"] | undefined;
  for (const scan of files)
    state = nextGeneration(state, { files: scan, problems: [], root: ROOT }, new Date()).state;
  return state!;
};

describe("the digest of a generation", () => {
  const a1 = loaded("a", "name: a # v1");
  const a2 = loaded("a", "name: a # v2");
  const aBroken = loaded("a", "name: [", false);
  const b = loaded("b", "name: b");
  const cBroken = loaded("c", "name: {", false);

  it.each<[string, LoadedFile[][], DigestEntry[]]>([
    [
      "valid files, by path relative to the folder",
      [[a1, b]],
      [entry("a.yaml", "name: a # v1"), entry("b.yaml", "name: b")],
    ],
    [
      "a file broken since: its last valid version, kept",
      [
        [a1, b],
        [aBroken, b],
      ],
      [entry("a.yaml", "name: a # v1"), entry("b.yaml", "name: b")],
    ],
    [
      "a file rewritten with nothing in force changed: its new bytes",
      [
        [a1, b],
        [a2, b],
      ],
      [entry("a.yaml", "name: a # v2"), entry("b.yaml", "name: b")],
    ],
    [
      "a file fixed after breaking: the fixed version",
      [[a1], [aBroken], [a2]],
      [entry("a.yaml", "name: a # v2")],
    ],
    [
      "a file invalid from the start: not counted, it runs nothing",
      [[b, cBroken]],
      [entry("b.yaml", "name: b")],
    ],
    ["a file removed: not counted", [[a1, b], [b]], [entry("b.yaml", "name: b")]],
  ])("covers %s", (_, scans, inForce) => {
    expect(generate(scans).digest).toBe(configDigest(inForce));
  });

  it("is what validate computes from the same files", () => {
    expect(generate([[a1, b, cBroken]]).digest).toBe(digestOfValid(ROOT, [a1, b, cBroken]));
  });
});
