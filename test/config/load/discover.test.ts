import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverFiles, isIgnoredName } from "../../../src/config/load/discover.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-discover-"));
  await mkdir(join(dir, "..2026_11_28_18_00_00.1"), { recursive: true });
  await mkdir(join(dir, "team", "deep"), { recursive: true });
  for (const name of [
    "b.yaml",
    "a.yml",
    "notes.txt",
    ".hidden.yaml",
    "c.yaml~",
    "#d.yaml#",
    "team/deep/e.yaml",
  ]) {
    await writeFile(join(dir, name), "x: 1\n");
  }
  await writeFile(join(dir, "..2026_11_28_18_00_00.1", "k.yaml"), "x: 1\n");
  await symlink("..2026_11_28_18_00_00.1", join(dir, "..data"));
  await symlink("..data/k.yaml", join(dir, "k.yaml"));
  await symlink("missing.yaml", join(dir, "dangling.yaml"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("discoverFiles", () => {
  it("lists YAML files recursively, sorted, following links and skipping hidden and backup names", async () => {
    const { files } = await discoverFiles([dir]);
    expect(files).toEqual(
      ["a.yml", "b.yaml", "k.yaml", "team/deep/e.yaml"].map((f) => join(dir, f)),
    );
  });

  it("lists a file named twice, through its folder and in other spellings, once", async () => {
    const inside = join(dir, "team", "deep", "e.yaml");
    const link = join(dir, "team-link");
    await symlink("team", link);
    const { files } = await discoverFiles([
      join(dir, "team"),
      inside,
      `${dir}/team/./deep//e.yaml`,
      relative(process.cwd(), inside),
      join(link, "deep", "e.yaml"),
    ]).finally(() => rm(link));
    expect(files).toEqual([inside]);
  });

  it("reports a file or folder whose name is not UTF-8 as one to rename, and lists the rest", async () => {
    const own = await mkdtemp(join(tmpdir(), "hookswitch-discover-bytes-"));
    try {
      const bytes = (name: string) => Buffer.from(name.replace("é", "\xe9"), "latin1");
      const path = (...names: string[]) =>
        Buffer.concat([Buffer.from(`${own}/`), ...names.map(bytes)]);
      await writeFile(path("tické.yaml"), "x: 1\n");
      await writeFile(path("notés.txt"), "x: 1\n");
      await mkdir(path("teams-é"));
      await writeFile(join(own, "ok.yaml"), "x: 1\n");
      await writeFile(join(own, "named-\uFFFD.yaml"), "x: 1\n"); // U+FFFD itself, in UTF-8
      const { files, problems } = await discoverFiles([own]);
      expect(files).toEqual([join(own, "named-\uFFFD.yaml"), join(own, "ok.yaml")]);
      const notUtf8 =
        "name is not UTF-8 text (shown with \uFFFD for each byte that is not), so it cannot be opened: rename it";
      expect(problems).toEqual([
        { file: join(own, "teams-\uFFFD"), line: 1, column: 1, message: notUtf8 },
        { file: join(own, "tick\uFFFD.yaml"), line: 1, column: 1, message: notUtf8 },
      ]);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it("reports a broken link and a missing path as problems", async () => {
    const { problems } = await discoverFiles([dir, join(dir, "nope")]);
    expect(problems.map((p) => p.message)).toEqual([
      "broken symbolic link: its target does not exist; skipped",
      "no such file or folder",
    ]);
  });

  it.each([
    ["b.yaml", "not a folder"],
    ["nope", "no such file or folder"],
  ])("as the daemon's folder, refuses %s: %s", async (name, message) => {
    const path = join(dir, name);
    const { files, problems } = await discoverFiles([path], true);
    expect({ files, problems }).toEqual({
      files: [],
      problems: [{ file: path, line: 1, column: 1, message }],
    });
  });

  it("says why a path cannot be read in words beside the system's code", async () => {
    const { problems } = await discoverFiles([join(dir, "b.yaml", "inside")]);
    expect(problems.map((p) => p.message)).toEqual([
      "cannot be read (ENOTDIR: a part of the path is not a folder)",
    ]);
  });

  it("lists the real folders walked and the real folders of linked files", async () => {
    // The temp folder's own path may run through a link (macOS: /var -> /private/var).
    const real = await realpath(dir);
    const { realFolders } = await discoverFiles([dir]);
    // The ConfigMap-style key k.yaml lives in the hidden timestamped folder.
    expect(realFolders).toEqual(
      ["", "..2026_11_28_18_00_00.1", "team", "team/deep"].map((f) => join(real, f)),
    );
  });

  it("lists the real folders behind links that lead out of the folder", async () => {
    const outside = await mkdtemp(join(tmpdir(), "hookswitch-discover-outside-"));
    const linking = await mkdtemp(join(tmpdir(), "hookswitch-discover-linking-"));
    try {
      await mkdir(join(outside, "files"));
      await mkdir(join(outside, "tree", "sub"), { recursive: true });
      await writeFile(join(outside, "files", "ext.yaml"), "x: 1\n");
      await writeFile(join(outside, "files", "notes.txt"), "x: 1\n");
      await writeFile(join(outside, "tree", "sub", "f.yaml"), "x: 1\n");
      await symlink(join(outside, "files", "ext.yaml"), join(linking, "ext.yaml"));
      // A linked file that is not YAML is never read: its folder is not listed.
      await mkdir(join(outside, "other"));
      await writeFile(join(outside, "other", "n.txt"), "x: 1\n");
      await symlink(join(outside, "other", "n.txt"), join(linking, "n.txt"));
      await symlink(join(outside, "tree"), join(linking, "linked"));
      const [realOutside, realLinking] = await Promise.all([realpath(outside), realpath(linking)]);
      const found = await discoverFiles([linking]);
      expect(found.files).toEqual([join(linking, "ext.yaml"), join(linking, "linked/sub/f.yaml")]);
      expect(found.realFolders).toEqual(
        [
          realLinking,
          join(realOutside, "files"),
          join(realOutside, "tree"),
          join(realOutside, "tree", "sub"),
        ].sort(),
      );
    } finally {
      await rm(outside, { recursive: true, force: true });
      await rm(linking, { recursive: true, force: true });
    }
  });

  it("takes a file given directly whose name run loads", async () => {
    const file = join(dir, "b.yaml");
    expect((await discoverFiles([file])).files).toEqual([file]);
  });

  it.each<[string, RegExp | undefined, boolean]>([
    [
      "notes.txt",
      /^run loads only names ending in \.yaml or \.yml: run would not load this file, validate checks it anyway/,
      true,
    ],
    [
      ".hidden.yaml",
      /^run skips hidden files .*: run would not load this file, validate checks it anyway/,
      true,
    ],
    [
      "c.yaml~",
      /^run skips editor backup files .*: this file is not loaded, so validate does not check it/,
      false,
    ],
    ["#d.yaml#", /^run skips editor autosave files/, false],
    [".d.yaml.swp", /and this is a backup or temporary file .*validate does not check it/, false],
    ["b.yaml", undefined, true],
    ["a.yml", undefined, true],
  ])(
    "given %s directly, takes it unless it is an editor's leftover, with a warning when run would pass over it",
    async (name, warning, taken) => {
      const file = join(dir, name);
      const { files, warnings } = await discoverFiles([file]);
      expect(files).toEqual(taken ? [file] : []);
      expect(warnings.map((w) => w.message)).toEqual(
        warning ? [expect.stringMatching(warning)] : [],
      );
    },
  );

  it("passes over an editor's lock file named directly, a link that leads nowhere, with a warning and no problem", async () => {
    const lock = join(dir, ".#e.yaml");
    await symlink("root@host.1234:1700000000", lock);
    try {
      const { files, problems, warnings } = await discoverFiles([lock]);
      expect({ files, problems }).toEqual({ files: [], problems: [] });
      expect(warnings.map((w) => w.message)).toEqual([
        expect.stringMatching(/this is an editor's lock file .*validate does not check it/),
      ]);
    } finally {
      await rm(lock);
    }
  });

  it("reads a folder whose name looks like a leftover's (conf.tmp): only files are judged by name", async () => {
    const folder = await mkdtemp(join(tmpdir(), "hookswitch-discover-"));
    try {
      const named = join(folder, "conf.tmp");
      await mkdir(named);
      await writeFile(join(named, "a.yaml"), "x: 1\n");
      const { files, warnings } = await discoverFiles([named], true);
      expect({ files, warnings }).toEqual({ files: [join(named, "a.yaml")], warnings: [] });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("warns of a file in a folder whose .yaml or .yml is not in lower case, or that is .json, which run passes over", async () => {
    const folder = await mkdtemp(join(tmpdir(), "hookswitch-discover-case-"));
    try {
      for (const name of ["a.yaml", "B.YAML", "c.Yml", "d.yaml.bak", "e.txt", "f.json"]) {
        await writeFile(join(folder, name), "x: 1\n");
      }
      const { files, warnings } = await discoverFiles([folder]);
      expect(files).toEqual([join(folder, "a.yaml")]);
      expect(warnings.map((w) => [relative(folder, w.file), w.message])).toEqual(
        [
          ["B.YAML", "B.yaml"],
          ["c.Yml", "c.yml"],
        ]
          .map(([name, renamed]) => [
            name,
            `run loads only names ending in .yaml or .yml, in lower case: this file is not loaded; rename it to ${renamed}`,
          ])
          .concat([
            [
              "f.json",
              "run loads only YAML files, ending in .yaml or .yml, not .json: this file is not loaded; JSON is valid YAML: rename it to f.yaml",
            ],
          ]),
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("warns of a folder given that holds no integration file, and not of one that does", async () => {
    const empty = await mkdtemp(join(tmpdir(), "hookswitch-discover-empty-"));
    try {
      await mkdir(join(empty, "sub"));
      await writeFile(join(empty, "README.md"), "# notes\n");
      const { warnings } = await discoverFiles([empty, join(dir, "team")]);
      expect(warnings.map((w) => [w.file, w.message])).toEqual([
        [
          empty,
          "no integration files here: run loads the *.yaml and *.yml files of this folder and of the folders in it",
        ],
      ]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it.each<[string, string[]]>([
    ["a folder and a folder in it", [".", "team"]],
    ["a folder in a folder, then the folder", ["team", "."]],
    ["one folder twice", ["team", "team"]],
    ["one folder in two spellings", ["team", "team/../team/"]],
    ["a folder and a link to a folder in it", ["..data", "."]],
  ])("does not call a folder empty when its files were listed already: %s", async (_, given) => {
    const { warnings } = await discoverFiles(given.map((path) => join(dir, path)));
    expect(warnings).toEqual([]);
  });

  it("walks folders nested 63 levels below the one given, and skips those deeper", async () => {
    const root = await mkdtemp(join(tmpdir(), "hookswitch-discover-deep-"));
    try {
      const level = (n: number) => join(root, ...Array.from({ length: n }, () => "d"));
      await mkdir(level(64), { recursive: true });
      await writeFile(join(level(63), "kept.yaml"), "x: 1\n");
      await writeFile(join(level(64), "skipped.yaml"), "x: 1\n");
      const { files, problems } = await discoverFiles([root]);
      expect(files).toEqual([join(level(63), "kept.yaml")]);
      expect(problems).toEqual([
        {
          file: level(64),
          line: 1,
          column: 1,
          message: "folders nested deeper than 64 levels; skipped",
        },
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("walks a folder reached through two links once, so its problems are said once", async () => {
    const root = await mkdtemp(join(tmpdir(), "hookswitch-discover-twice-"));
    try {
      await mkdir(join(root, "real"));
      await writeFile(join(root, "real", "a.yaml"), "x: 1\n");
      await symlink("missing.yaml", join(root, "real", "broken.yaml"));
      await symlink("real", join(root, "one"));
      await symlink("real", join(root, "two"));
      const { files, problems } = await discoverFiles([root]);
      expect(files).toEqual([join(root, "one", "a.yaml")]);
      expect(problems.map((p) => relative(root, p.file))).toEqual([join("one", "broken.yaml")]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("reports a folder linked inside itself as a loop, and lists its files once", async () => {
    const root = await mkdtemp(join(tmpdir(), "hookswitch-discover-loop-"));
    try {
      await mkdir(join(root, "sub"));
      await writeFile(join(root, "sub", "a.yaml"), "x: 1\n");
      await symlink("..", join(root, "sub", "up"));
      const { files, problems } = await discoverFiles([root]);
      expect(files).toEqual([join(root, "sub", "a.yaml")]);
      expect(problems).toEqual([
        {
          file: join(root, "sub", "up"),
          line: 1,
          column: 1,
          message: "symbolic link loop: this folder contains itself; skipped",
        },
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("lists a file met twice in one walk, once directly and once through a link, once", async () => {
    const root = await mkdtemp(join(tmpdir(), "hookswitch-discover-linked-file-"));
    try {
      await mkdir(join(root, "a"));
      await mkdir(join(root, "b"));
      await writeFile(join(root, "a", "crm.yaml"), "x: 1\n");
      await symlink(join("..", "a", "crm.yaml"), join(root, "b", "crm-link.yaml"));
      const { files, problems } = await discoverFiles([root]);
      expect({ files, problems }).toEqual({ files: [join(root, "a", "crm.yaml")], problems: [] });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("reports a folder's problems in the order files are listed in, not the order read", async () => {
    const root = await mkdtemp(join(tmpdir(), "hookswitch-discover-order-"));
    try {
      // Node.js reads a folder's names in UTF-8 byte order, where U+FF01 comes before an emoji;
      // JavaScript's order (UTF-16) puts the emoji first.
      const names = ["f", "\uFF01", "b", "\u{1F600}", "a"].map((n) => `${n}.yaml`);
      for (const name of names) await symlink(`missing-${name}`, join(root, name));
      const { problems } = await discoverFiles([root]);
      expect(problems.map((p) => relative(root, p.file))).toEqual([...names].sort());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("passes over a socket, or a link to a device, named like an integration file, with a warning: only regular files are read", async () => {
    const root = await mkdtemp(join(tmpdir(), "hookswitch-discover-socket-"));
    const server = createServer();
    try {
      await writeFile(join(root, "a.yaml"), "x: 1\n");
      await new Promise<void>((done) => server.listen(join(root, "socket.yaml"), done));
      await symlink("/dev/zero", join(root, "zero.yaml"));
      await symlink("/dev/null", join(root, "null.txt"));
      const { files, problems, warnings } = await discoverFiles([root]);
      expect({ files, problems }).toEqual({ files: [join(root, "a.yaml")], problems: [] });
      expect(warnings.map((w) => [relative(root, w.file), w.message])).toEqual(
        ["socket.yaml", "zero.yaml"].map((name) => [
          name,
          "not a regular file (a pipe, a socket or a device), so run passes over it: integration files must be regular files",
        ]),
      );
    } finally {
      await new Promise((done) => server.close(done));
      await rm(root, { recursive: true, force: true });
    }
  });

  it("does not call a folder empty when what it holds is a problem (a broken link)", async () => {
    const broken = await mkdtemp(join(tmpdir(), "hookswitch-discover-broken-"));
    try {
      await symlink("missing.yaml", join(broken, "a.yaml"));
      const { problems, warnings } = await discoverFiles([broken]);
      expect(problems.map((p) => p.message)).toEqual([
        "broken symbolic link: its target does not exist; skipped",
      ]);
      expect(warnings).toEqual([]);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it.each([
    [".swp", true],
    ["..data", true],
    ["x.yaml~", true],
    ["#x.yaml#", true],
    ["x.yaml", false],
    ["#x.yaml", false],
  ])("ignores %j: %s", (name, ignored) => {
    expect(isIgnoredName(name)).toBe(ignored);
  });
});
