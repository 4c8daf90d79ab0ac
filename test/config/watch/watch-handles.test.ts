import fs from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  gitSyncLayout,
  integrationYaml,
  makeTempDir,
  removeDir,
} from "../../support/config-dir.js";
import { startWatching, useCleanups } from "../../support/watching.js";

/** The folder watches opened with node:fs's watch and not closed yet. */
const open = vi.hoisted(() => new Set<object>());

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const watch = ((...args: Parameters<typeof real.watch>) => {
    const watcher = real.watch(...args);
    open.add(watcher);
    const close = watcher.close.bind(watcher);
    watcher.close = () => {
      open.delete(watcher);
      close();
    };
    return watcher;
  }) as typeof real.watch;
  return { ...real, default: { ...real, watch }, watch };
});

const { cleanups, later } = useCleanups();

describe("createConfigWatcher's watches of link parents and linked folders", () => {
  it("stay one per folder however many scans, and are all closed by close()", async () => {
    const outside = makeTempDir("hookswitch-outside-");
    cleanups.push(() => removeDir(outside));
    fs.writeFileSync(path.join(outside, "ext.yaml"), integrationYaml("ext"));
    const layout = later(gitSyncLayout({ "a.yaml": integrationYaml("x") }));
    fs.symlinkSync(outside, path.join(fs.realpathSync(layout.dir), "linked"));
    const w = await startWatching(layout.dir, cleanups);
    const afterStart = open.size;
    // The parent of the swapped link, and the linked folder outside.
    expect(afterStart).toBe(2);
    for (let n = 0; n < 3; n++) await w.watcher.resync();
    expect(open.size).toBe(afterStart);
    await w.watcher.close();
    expect(open.size).toBe(0);
  });
});
