import { describe, expect, it } from "vitest";
import { gitSyncLayout, integrationYaml, plainLayout } from "../../support/config-dir.js";
import { sleep } from "../../support/wait.js";
import { startWatching, useCleanups } from "../../support/watching.js";

const { cleanups, later } = useCleanups();

/** File watches that keep the process alive: one left open delays the daemon's exit. */
const openWatches = () =>
  process.getActiveResourcesInfo().filter((r) => r === "FSEventWrap").length;

describe("createConfigWatcher's close()", () => {
  it.each([
    ["a plain folder", () => plainLayout({ "a.yaml": integrationYaml("x") })],
    ["a git-sync checkout", () => gitSyncLayout({ "a.yaml": integrationYaml("x") })],
  ])("leaves no file watch of %s open", async (_what, makeLayout) => {
    const layout = later(makeLayout());
    const before = openWatches();
    const w = await startWatching(layout.dir, cleanups);
    expect(openWatches()).toBeGreaterThan(before);
    await w.watcher.close();
    // A closed handle leaves the list at the next turn of the loop.
    await sleep(20);
    expect(openWatches()).toBe(before);
  });
});
