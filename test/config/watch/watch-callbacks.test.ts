import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createConfigWatcher } from "../../../src/config/watch/watch.js";
import { integrationYaml, plainLayout } from "../../support/config-dir.js";
import { capturingLogger } from "../../support/logs.js";
import { waitFor } from "../../support/wait.js";
import { useCleanups } from "../../support/watching.js";

const { cleanups, later } = useCleanups();

/** A watcher of a folder holding a.yaml, whose callbacks throw; what it logged and handed over. */
function watchWithFailingCallbacks() {
  const layout = later(plainLayout());
  const dir = path.join(layout.dir, "integrations.d");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "a.yaml"), integrationYaml("x"));
  const { log, lines } = capturingLogger("debug");
  const generations: number[] = [];
  const watcher = createConfigWatcher({
    dir,
    load: { secrets: "keep" },
    log,
    onGeneration: (state) => {
      generations.push(state.generation);
      throw new Error(`generation ${state.generation} refused`);
    },
    onFolderGone: () => {
      throw new Error("status page down");
    },
  });
  cleanups.push(() => watcher.close());
  const errors = () => lines.filter((l) => l.level === "error").map((l) => String(l.msg));
  return { dir, watcher, lines, generations, errors };
}

describe("createConfigWatcher when its callbacks throw", () => {
  it("logs a generation that could not be applied and keeps watching", async () => {
    const w = watchWithFailingCallbacks();
    expect((await w.watcher.start()).generation).toBe(1);
    fs.writeFileSync(path.join(w.dir, "b.yaml"), integrationYaml("y"));
    await waitFor(() => w.generations.includes(2), { what: "generation 2 handed over" });
    expect(w.watcher.current().generation).toBe(2);
    expect(w.errors()).toEqual([
      "applying a configuration generation failed",
      "applying a configuration generation failed",
    ]);
  });

  it("warns once that the folder is gone when reporting it fails", async () => {
    const w = watchWithFailingCallbacks();
    await w.watcher.start();
    fs.rmSync(w.dir, { recursive: true });
    for (let n = 0; n < 3; n++) await w.watcher.resync();
    const gone = w.lines.filter((l) => /keeping configuration generation 1/.test(String(l.msg)));
    expect(gone).toHaveLength(1);
    expect(w.errors().filter((m) => /folder's state/.test(m))).toEqual([
      "reporting the integrations folder's state failed",
    ]);
  });
});
