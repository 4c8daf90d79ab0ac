import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { integrationYaml, makeTempDir, plainLayout, removeDir } from "../../support/config-dir.js";
import { counts, serving, startWatching, URL_1, useCleanups } from "../../support/watching.js";

const { cleanups, later } = useCleanups();

/** Root reads a folder whatever its mode: a folder without rights needs another user. */
const asRoot = process.getuid?.() === 0;

/** Relinks `link` to `target` in one step. */
function relink(link: string, target: string): void {
  fs.symlinkSync(target, `${link}.tmp`);
  fs.renameSync(`${link}.tmp`, link);
}

describe("createConfigWatcher when a path cannot be read", () => {
  it("keeps a linked file's last valid version while its link dangles or loops", async () => {
    const outside = makeTempDir("hookswitch-outside-");
    cleanups.push(() => removeDir(outside));
    const target = path.join(outside, "t.yaml");
    fs.writeFileSync(target, integrationYaml("x"));
    const layout = later(plainLayout({ "b.yaml": integrationYaml("y") }));
    const link = path.join(layout.dir, "a.yaml");
    fs.symlinkSync(target, link);
    const w = await startWatching(layout.dir, cleanups);

    fs.rmSync(target);
    const dangling = await w.generation(2);
    expect(serving(dangling.state)).toEqual({ x: `a.yaml ${URL_1}`, y: `b.yaml ${URL_1}` });
    expect(counts(dangling.summary)).toEqual({ added: 0, changed: 0, removed: 0, invalid: 1 });
    expect(dangling.state.problems.map((p) => [p.file, p.message])).toEqual([
      [link, "broken symbolic link: its target does not exist; skipped"],
    ]);

    relink(link, "a.yaml");
    const loop = await w.generation(3);
    expect(Object.keys(serving(loop.state)).sort()).toEqual(["x", "y"]);
    expect(loop.state.problems.map((p) => p.message)).toEqual(["symbolic link loop; skipped"]);

    fs.rmSync(link);
    const removed = await w.generation(4);
    expect(counts(removed.summary)).toEqual({ added: 0, changed: 0, removed: 1, invalid: 0 });
  });

  it.skipIf(asRoot)(
    "keeps the files of a subfolder without rights, and warns of its watch without a stack",
    async () => {
      const layout = later(
        plainLayout({
          "a.yaml": integrationYaml("x"),
          "locked/c.yaml": integrationYaml("c"),
          "later/d.yaml": integrationYaml("d"),
        }),
      );
      const locked = path.join(layout.dir, "locked");
      const lockedLater = path.join(layout.dir, "later");
      fs.chmodSync(lockedLater, 0o000);
      cleanups.push(() => fs.chmodSync(lockedLater, 0o755));
      cleanups.push(() => fs.chmodSync(locked, 0o755));
      const w = await startWatching(layout.dir, cleanups);
      expect(Object.keys(serving(w.watcher.current())).sort()).toEqual(["c", "x"]);
      expect(w.logs.filter((l) => l.level === "error")).toEqual([]);
      const watchWarning = w.logs.find(
        (l) => l.level === "warn" && /cannot be watched/.test(l.msg),
      );
      expect(watchWarning?.msg).toContain(lockedLater);
      expect(JSON.stringify(watchWarning)).not.toMatch(/stack/);

      fs.chmodSync(locked, 0o000);
      const next = await w.generation(2);
      expect(Object.keys(serving(next.state)).sort()).toEqual(["c", "x"]);
      expect(counts(next.summary)).toEqual({ added: 0, changed: 0, removed: 0, invalid: 2 });
      expect(next.state.problems.map((p) => p.file).sort()).toEqual([lockedLater, locked].sort());
    },
  );
});
