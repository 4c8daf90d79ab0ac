import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  gitSyncLayout,
  integrationYaml,
  makeTempDir,
  removeDir,
} from "../../support/config-dir.js";
import {
  counts,
  serving,
  settle,
  startWatching,
  url,
  v,
  writeAndAwait,
  type Watching,
  useCleanups,
} from "../../support/watching.js";

const { cleanups, later } = useCleanups();

/** Far beyond every wait here: only the file watches can apply a change in time. */
const noResync = { resyncIntervalMs: 600_000 };

/** Scans that found nothing to change: each one is a poke from some watch. */
const idleScans = (w: Watching) =>
  w.logs.filter((l) => l.msg === "integrations folder rescanned: nothing changed").length;

describe("createConfigWatcher's watch of the folder itself", () => {
  it("applies an edit in a folder whose own name is hidden", async () => {
    const root = makeTempDir();
    cleanups.push(() => removeDir(root));
    const dir = path.join(root, ".integrations");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "a.yaml"), integrationYaml("x"));
    const w = await startWatching(dir, cleanups, noResync);
    await settle();
    const next = await writeAndAwait(w, path.join(dir, "a.yaml"), integrationYaml("x", v(2)), 2);
    expect(counts(next.summary)).toEqual({ added: 0, changed: 1, removed: 0, invalid: 0 });
    expect(serving(next.state)).toEqual({ x: `a.yaml ${url(2)}` });
  });

  it("stops watching a git-sync worktree once the link leads to another", async () => {
    const layout = later(gitSyncLayout({ "a.yaml": integrationYaml("x") }));
    const first = fs.realpathSync(layout.dir);
    const w = await startWatching(layout.dir, cleanups, noResync);
    layout.commit({ "a.yaml": integrationYaml("x", v(2)) }, { keepOld: true });
    expect(serving((await w.generation(2)).state)).toEqual({ x: `a.yaml ${url(2)}` });
    await settle();
    const scansBefore = idleScans(w);
    // The old worktree, left in place: an edit there does not even cause a rescan.
    fs.writeFileSync(path.join(first, "b.yaml"), integrationYaml("y"));
    await settle();
    expect(idleScans(w)).toBe(scansBefore);
    expect(w.seen).toHaveLength(2);
  });
});
