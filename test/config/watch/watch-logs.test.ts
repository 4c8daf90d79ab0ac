import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { gitSyncLayout, integrationYaml, plainLayout } from "../../support/config-dir.js";
import { waitFor } from "../../support/wait.js";
import {
  settle,
  startWatching,
  v,
  writeAndAwait,
  type Watching,
  useCleanups,
} from "../../support/watching.js";

const { cleanups, later } = useCleanups();

const broken = (name: string) => integrationYaml(name, { webhook: { method: "DELETE" } });

/** Warning lines that report a problem of `file` (by its base name). */
const problemLines = (w: Watching, file: string) =>
  w.logs.filter((l) => l.level === "warn" && l.msg.includes(`${path.sep}${file}:`));

describe("createConfigWatcher's log", () => {
  it("reports a file's problems when they are new or changed, not at every generation", async () => {
    const invalid = ["b", "c", "d", "e"];
    const layout = later(
      plainLayout({
        "a.yaml": integrationYaml("x"),
        ...Object.fromEntries(invalid.map((n) => [`${n}.yaml`, broken(n)])),
      }),
    );
    const w = await startWatching(layout.dir, cleanups, { resyncIntervalMs: 300 });
    const a = path.join(layout.dir, "a.yaml");
    await writeAndAwait(w, a, integrationYaml("x", v(2)), 2);
    await writeAndAwait(w, a, integrationYaml("x", v(3)), 3);
    await settle(); // periodic resyncs as well
    for (const n of invalid) expect(problemLines(w, `${n}.yaml`)).toHaveLength(1);

    await writeAndAwait(
      w,
      path.join(layout.dir, "b.yaml"),
      integrationYaml("b", { apiVersion: "hookswitch/v9" }),
      4,
    );
    expect(problemLines(w, "b.yaml")).toHaveLength(2);
    expect(problemLines(w, "c.yaml")).toHaveLength(1);
  });

  it.each([
    ["other line endings", (yaml: string) => yaml.replaceAll("\n", "\r\n")],
    ["a byte-order mark", (yaml: string) => `\uFEFF${yaml}`],
    ["a comment added", (yaml: string) => `# reviewed\n${yaml}`],
  ])(
    "makes no generation for a file rewritten with %s only, and says so",
    async (_what, rewrite) => {
      const layout = later(
        plainLayout({ "a.yaml": integrationYaml("x"), "b.yaml": integrationYaml("y") }),
      );
      const w = await startWatching(layout.dir, cleanups);
      layout.write({ "a.yaml": rewrite(integrationYaml("x")) });
      const said = await waitFor(
        () => w.logs.find((l) => l.level === "info" && /generation 1 stays/.test(l.msg)),
        { what: "the rewrite reported" },
      );
      expect(said.msg).toMatch(
        /a\.yaml changed on disk \(rewritten, or removed having served nothing\), nothing in force changed/,
      );
      // The bytes in force changed: so does the digest, handed over and said.
      const before = w.seen[0]!.state.digest;
      expect(w.rewritten.map((s) => s.generation)).toEqual([1]);
      expect(w.rewritten[0]!.digest).not.toBe(before);
      expect(said).toMatchObject({ digest: w.rewritten[0]!.digest });
      expect(said.msg).toContain(`; digest ${w.rewritten[0]!.digest}, from `);
      await settle();
      expect(w.seen).toHaveLength(1);
      expect(w.watcher.current().generation).toBe(1);
      // The rewritten content is now the one compared with: a real change still comes.
      await writeAndAwait(w, path.join(layout.dir, "a.yaml"), integrationYaml("x", v(2)), 2);
    },
  );
});

describe("createConfigWatcher's generation lines on a git-sync checkout", () => {
  it("name the worktree read and the digest, which follows the files, not the path, and keep the worktree with the generation", async () => {
    const files = { "a.yaml": integrationYaml("x"), "b.yaml": integrationYaml("y") };
    const layout = later(gitSyncLayout(files));
    const w = await startWatching(layout.dir, cleanups);
    const lines = () =>
      w.logs.filter((l) => l.level === "info" && /^config generation/.test(l.msg));
    const first = fs.realpathSync(layout.dir);
    expect(first).toMatch(/\.worktrees[/\\][0-9a-f]{40}[/\\]integrations\.d$/);
    expect(lines()).toMatchObject([{ folder: first, digest: w.seen[0]!.state.digest }]);

    const hash = layout.commit({ ...files, "b.yaml": integrationYaml("y", v(2)) });
    const second = await w.generation(2);
    expect(lines().at(-1)).toMatchObject({
      folder: path.join(layout.root, ".worktrees", hash, "integrations.d"),
      digest: second.state.digest,
    });
    expect(second.state.digest).not.toBe(w.seen[0]!.state.digest);
    // The generation keeps where it was read, as the status page shows beside its digest.
    expect([w.seen[0]!.state.folder, second.state.folder]).toEqual([
      first,
      path.join(layout.root, ".worktrees", hash, "integrations.d"),
    ]);

    // Back to the first files in a new worktree: the first digest again.
    layout.commit(files);
    expect((await w.generation(3)).state.digest).toBe(w.seen[0]!.state.digest);
  });
});
