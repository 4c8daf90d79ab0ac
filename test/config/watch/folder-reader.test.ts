import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadFiles } from "../../../src/config/load/load.js";
import { createFolderReader } from "../../../src/config/watch/folder-reader.js";
import { gitSyncLayout, integrationYaml, type GitSyncLayout } from "../../support/config-dir.js";

let layout: GitSyncLayout | undefined;
afterEach(() => layout?.cleanup());

const load = { secrets: "resolve" as const, env: {} };

/** The real loader, after `change` has run once between the first listing and its reads. */
function changingBeforeFirstRead(change: () => void): {
  loader: typeof loadFiles;
  lists: () => number;
} {
  let calls = 0;
  const loader: typeof loadFiles = (files, options, threadsFrom) => {
    if (++calls === 1) change();
    return loadFiles(files, options, threadsFrom);
  };
  return { loader, lists: () => calls };
}

const namesOf = (files: { integrations: { name: string }[] }[]) =>
  files.flatMap((f) => f.integrations.map((i) => i.name)).sort();

describe("a folder reader's scan", () => {
  it("lists again when a git-sync flip removed a listed file before it was read", async () => {
    layout = gitSyncLayout({ "a.yaml": integrationYaml("a"), "b.yaml": integrationYaml("b") });
    const flip = changingBeforeFirstRead(() =>
      layout!.commit({ "a.yaml": integrationYaml("a2"), "c.yaml": integrationYaml("c") }),
    );
    const reader = createFolderReader(layout.dir, load, () => {}, flip.loader);

    const scan = await reader.scan("full");

    expect(scan.files.map((f) => path.basename(f.file))).toEqual(["a.yaml", "c.yaml"]);
    expect(namesOf(scan.files)).toEqual(["a2", "c"]);
    expect(scan.files.flatMap((f) => f.problems)).toEqual([]);
    expect(scan.problems).toEqual([]);
    expect(flip.lists()).toBe(2);
  });

  it("says the folder is gone, not empty, when it vanished between listing and reading", async () => {
    layout = gitSyncLayout({ "a.yaml": integrationYaml("a") });
    const unmount = changingBeforeFirstRead(() =>
      fs.rmSync(fs.realpathSync(layout!.dir), { recursive: true }),
    );
    const reader = createFolderReader(layout.dir, load, () => {}, unmount.loader);

    const scan = await reader.scan("full");

    expect(scan.files).toEqual([]);
    expect(scan.problems.map((p) => [p.file, p.message])).toEqual([
      [layout.dir, "no such file or folder"],
    ]);
  });

  it("leaves out a file that keeps vanishing, and lists at most three times", async () => {
    layout = gitSyncLayout({ "a.yaml": integrationYaml("a"), "b.yaml": integrationYaml("b") });
    let lists = 0;
    const b = path.join(layout.dir, "b.yaml");
    const loader: typeof loadFiles = (files, options, threadsFrom) => {
      lists++;
      // A file written again and removed before every read (bounded by the reader itself).
      if (files.includes(b)) fs.rmSync(b);
      const read = loadFiles(files, options, threadsFrom);
      fs.writeFileSync(b, integrationYaml(`b${lists}`));
      return read;
    };
    const reader = createFolderReader(layout.dir, load, () => {}, loader);

    const scan = await reader.scan("full");

    expect(namesOf(scan.files)).toEqual(["a"]);
    expect(scan.files.flatMap((f) => f.problems)).toEqual([]);
    expect(lists).toBe(3);
  });

  it("keeps an invalid file in its scan, with its problem", async () => {
    layout = gitSyncLayout({ "a.yaml": integrationYaml("a"), "b.yaml": "webhook: [" });
    const reader = createFolderReader(layout.dir, load);

    const scan = await reader.scan("full");

    expect(namesOf(scan.files)).toEqual(["a"]);
    expect(scan.files.find((f) => f.file.endsWith("b.yaml"))?.problems).toHaveLength(1);
  });
});
