import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { integrationYaml, plainLayout } from "../../support/config-dir.js";
import { sleep } from "../../support/wait.js";
import {
  counts,
  serving,
  settle,
  startWatching,
  url,
  v,
  useCleanups,
} from "../../support/watching.js";

const { cleanups, later } = useCleanups();

describe("createConfigWatcher when a file is missing for a moment", () => {
  it("keeps the integration of a file moved away and copied back 0.4 s later", async () => {
    const layout = later(
      plainLayout({ "gapx.yaml": integrationYaml("gapx"), "b.yaml": integrationYaml("y") }),
    );
    const w = await startWatching(layout.dir, cleanups);
    const file = path.join(layout.dir, "gapx.yaml");
    fs.renameSync(file, `${file}~`);
    await sleep(400);
    fs.copyFileSync(`${file}~`, file);
    await settle();
    await sleep(500);
    expect(w.seen).toHaveLength(1);
    expect(Object.keys(serving(w.watcher.current())).sort()).toEqual(["gapx", "y"]);
  });

  it("removes a deleted file's integration once the folder is quiet, within a second", async () => {
    const layout = later(
      plainLayout({ "a.yaml": integrationYaml("x"), "b.yaml": integrationYaml("y") }),
    );
    const w = await startWatching(layout.dir, cleanups);
    const removedAt = Date.now();
    fs.rmSync(path.join(layout.dir, "b.yaml"));
    const next = await w.generation(2);
    expect(next.at - removedAt).toBeLessThan(1_000);
    expect(counts(next.summary)).toEqual({ added: 0, changed: 0, removed: 1, invalid: 0 });
  });

  it("applies a slow burst of files deleted and rewritten one by one without removing any", async () => {
    const files = Object.fromEntries(
      Array.from({ length: 50 }, (_, n) => [`f${n}.yaml`, integrationYaml(`f${n}`)]),
    );
    const layout = later(plainLayout(files));
    const w = await startWatching(layout.dir, cleanups);
    // 2.5 s in all, each file missing for 40 ms of its 50: the 1 s scans land in gaps.
    for (let n = 0; n < 50; n++) {
      const file = path.join(layout.dir, `f${n}.yaml`);
      fs.rmSync(file);
      await sleep(40);
      fs.writeFileSync(file, integrationYaml(`f${n}`, v(2)));
      await sleep(10);
    }
    await settle();
    await sleep(500);
    const made = w.seen.slice(1).map((s) => counts(s.summary));
    expect(made.map((c) => c.removed + c.added)).toEqual(made.map(() => 0));
    expect(made.reduce((sum, c) => sum + c.changed, 0)).toBe(50);
    expect(new Set(Object.values(serving(w.watcher.current())))).toEqual(
      new Set(Array.from({ length: 50 }, (_, n) => `f${n}.yaml ${url(2)}`)),
    );
  });
});
