import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ConfigState } from "../../../src/config/watch/generation.js";
import {
  configMapLayout,
  gitSyncLayout,
  integrationYaml,
  integrationsYaml,
  makeTempDir,
  plainLayout,
  removeDir,
} from "../../support/config-dir.js";
import { sleep, waitFor } from "../../support/wait.js";
import {
  counts,
  serving,
  settle,
  startWatching,
  url,
  URL_1,
  v,
  writeAndAwait,
  type Watching,
  useCleanups,
} from "../../support/watching.js";

const { cleanups, later } = useCleanups();

/** A folder `integrations.d` holding one integration, x (a.yaml), watched. */
async function watchFolderOfOne() {
  const layout = later(plainLayout());
  const dir = path.join(layout.dir, "integrations.d");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "a.yaml"), integrationYaml("x"));
  return { dir, w: await startWatching(dir, cleanups) };
}

describe("the periodic resync", () => {
  it("reads a rotated ${file:} secret again, as a Kubernetes secret volume rotates it", async () => {
    const layout = later(plainLayout());
    const dir = path.join(layout.dir, "integrations.d");
    const secret = path.join(layout.dir, "token");
    fs.mkdirSync(dir);
    fs.writeFileSync(secret, "tok-one\n");
    const withToken = {
      webhook: { url: URL_1, auth: { type: "token", token: `\${file:${secret}}` } },
    };
    fs.writeFileSync(path.join(dir, "a.yaml"), integrationYaml("x", withToken));
    fs.writeFileSync(path.join(dir, "b.yaml"), integrationYaml("y"));
    const w = await startWatching(dir, cleanups, { resyncIntervalMs: 300 }, { secrets: "resolve" });
    const tokenOf = (state: ConfigState, name: string) => {
      const auth = state.integrations.find((i) => i.name === name)?.webhook.auth;
      return auth?.type === "token" ? auth.token : undefined;
    };
    const first = (await w.generation(1)).state;
    expect(first.problems).toEqual([]);
    expect(tokenOf(first, "x")).toBe("tok-one");

    fs.writeFileSync(secret, "tok-two\n");
    const next = await w.generation(2, 3_000);
    expect(tokenOf(next.state, "x")).toBe("tok-two");
    expect(counts(next.summary)).toEqual({ added: 0, changed: 1, removed: 0, invalid: 0 });
  });
});

describe("createConfigWatcher on a plain folder", () => {
  it("loads every file as generation 1 and reports it once", async () => {
    const layout = later(
      plainLayout({ "a.yaml": integrationYaml("x"), "b.yaml": integrationYaml("y") }),
    );
    const w = await startWatching(layout.dir, cleanups);
    expect(w.seen.map((s) => s.summary)).toEqual([
      { generation: 1, added: 2, changed: 0, removed: 0, invalid: 0, unchanged: 0 },
    ]);
    expect(w.watcher.current()).toBe(w.seen[0]?.state);
    const { digest } = w.seen[0]!.state;
    const folder = fs.realpathSync(layout.dir);
    expect(w.logs.filter((l) => l.level === "info").map((l) => l.msg)).toEqual([
      `config generation 1: 2 added (x, y), 0 changed, 0 removed, 0 invalid; digest ${digest}, from ${folder}`,
    ]);
    expect(w.logs.find((l) => l.level === "info")).toMatchObject({
      generation: 1,
      added: 2,
      changed: 0,
      removed: 0,
      invalid: 0,
      names: { added: ["x", "y"], changed: [], removed: [] },
      digest,
      folder,
    });
  });

  it("names what changed in each generation's line, the first 20 of each kind", async () => {
    const files = Object.fromEntries(
      Array.from({ length: 22 }, (_, i) => [`f${i}.yaml`, integrationYaml(`n${i}`)]),
    );
    const layout = later(plainLayout({ ...files, "keep.yaml": integrationYaml("keep") }));
    const w = await startWatching(layout.dir, cleanups);
    expect(w.logs.find((l) => l.level === "info")?.msg).toMatch(
      /: 23 added \(n0, n1, n10, .*, n7, … 3 more\), 0 changed,/,
    );
    fs.writeFileSync(path.join(layout.dir, "keep.yaml"), integrationYaml("keep", v(2)));
    fs.rmSync(path.join(layout.dir, "f0.yaml"));
    await w.generation(2);
    expect(w.logs.filter((l) => l.level === "info").at(-1)?.msg).toMatch(
      /^config generation 2: 0 added, 1 changed \(keep\), 1 removed \(n0\), 0 invalid; digest /,
    );
  });

  it("applies a new file within a second or so", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    const wroteAt = Date.now();
    layout.write({ "b.yaml": integrationYaml("y") });
    const next = await w.generation(2);
    expect(next.at - wroteAt).toBeLessThan(3_000);
    expect(counts(next.summary)).toEqual({ added: 1, changed: 0, removed: 0, invalid: 0 });
    expect(serving(next.state)).toEqual({ x: `a.yaml ${URL_1}`, y: `b.yaml ${URL_1}` });
  });

  it("applies an edit in place and an editor's write-then-rename", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    layout.write({ "a.yaml": integrationYaml("x", v(2)) });
    expect(serving((await w.generation(2)).state)).toEqual({ x: `a.yaml ${url(2)}` });
    layout.writeAtomic("a.yaml", integrationYaml("x", v(3)));
    const third = await w.generation(3);
    expect(counts(third.summary)).toEqual({ added: 0, changed: 1, removed: 0, invalid: 0 });
    expect(serving(third.state)).toEqual({ x: `a.yaml ${url(3)}` });
  });

  it("keeps a broken file's last valid version, reports the problem, and applies the fix", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    layout.write({ "a.yaml": integrationYaml("x", { webhook: { method: "DELETE" } }) });
    const broken = await w.generation(2);
    expect(serving(broken.state)).toEqual({ x: `a.yaml ${URL_1}` });
    expect(counts(broken.summary)).toEqual({ added: 0, changed: 0, removed: 0, invalid: 1 });
    expect(broken.state.problems.map((p) => path.basename(p.file))).toContain("a.yaml");
    const warnings = w.logs.filter((l) => l.level === "warn").map((l) => l.msg);
    expect(warnings.some((m) => /a\.yaml:\d+:\d+: /.test(m))).toBe(true);
    // The generation's line names the invalid file, as it names what changed.
    const line = w.logs.filter((l) => l.level === "info").at(-1);
    expect(line?.msg).toMatch(/, 1 invalid \([^)]*a\.yaml\); digest /);
    expect(line).toMatchObject({ names: { invalid: [path.join(layout.dir, "a.yaml")] } });
    layout.write({ "a.yaml": integrationYaml("x", v(2)) });
    const fixed = await w.generation(3);
    expect(counts(fixed.summary)).toEqual({ added: 0, changed: 1, removed: 0, invalid: 0 });
    expect(serving(fixed.state)).toEqual({ x: `a.yaml ${url(2)}` });
    expect(fixed.state.problems).toEqual([]);
  });

  it("keeps a file's last valid version while it is empty, as a write caught half-way", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    layout.write({ "a.yaml": "" });
    const truncated = await w.generation(2);
    expect(serving(truncated.state)).toEqual({ x: `a.yaml ${URL_1}` });
    expect(counts(truncated.summary)).toEqual({ added: 0, changed: 0, removed: 0, invalid: 1 });
    layout.write({ "a.yaml": integrationYaml("x", v(2)) });
    const written = await w.generation(3);
    expect(serving(written.state)).toEqual({ x: `a.yaml ${url(2)}` });
    expect(written.state.problems).toEqual([]);
  });

  it("logs a secret in clear once for each content that holds it, and serves the file", async () => {
    const token = (t: string) => ({ webhook: { auth: { type: "token", token: t } } });
    const layout = later(
      plainLayout({
        "a.yaml": integrationYaml("x", token("abc123")),
        "b.yaml": integrationYaml("y"),
      }),
    );
    const w = await startWatching(layout.dir, cleanups);
    const clear = () =>
      w.logs.filter((l) => l.level === "warn" && /warning: webhook\.auth\.token holds/.test(l.msg));
    expect(clear()).toHaveLength(1);
    expect(clear()[0]?.msg).toMatch(/a\.yaml:\d+:\d+: warning: /);
    expect(Object.keys(serving(w.watcher.current()))).toEqual(["x", "y"]);
    await writeAndAwait(w, path.join(layout.dir, "b.yaml"), integrationYaml("y", v(2)), 2);
    expect(clear()).toHaveLength(1);
    await writeAndAwait(
      w,
      path.join(layout.dir, "a.yaml"),
      integrationYaml("x", token("def456")),
      3,
    );
    expect(clear()).toHaveLength(2);
    await writeAndAwait(
      w,
      path.join(layout.dir, "a.yaml"),
      integrationYaml("x", token("${env:T}")),
      4,
    );
    expect(clear()).toHaveLength(2);
    expect(JSON.stringify(w.logs)).not.toMatch(/abc123|def456/);
  });

  it("warns once of a file it passes over for its name's case, and again when it comes back", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups, { resyncIntervalMs: 200 });
    const passedOver = () =>
      w.logs.filter((l) => l.level === "warn" && /B\.YAML: warning: run loads only/.test(l.msg));
    const upper = path.join(layout.dir, "B.YAML");
    fs.writeFileSync(upper, integrationYaml("y"));
    await waitFor(() => passedOver().length === 1, { what: "the warning of B.YAML" });
    await sleep(700); // rescans, each finding it again
    expect(passedOver()).toHaveLength(1);
    expect(passedOver()[0]).toMatchObject({ file: upper });
    expect(Object.keys(serving(w.watcher.current()))).toEqual(["x"]);
    fs.rmSync(upper);
    await sleep(500);
    fs.writeFileSync(upper, integrationYaml("y"));
    await waitFor(() => passedOver().length === 2, { what: "the warning of B.YAML, back" });
  });

  it("removes a deleted file's integrations and moves a renamed file's", async () => {
    const layout = later(
      plainLayout({ "a.yaml": integrationYaml("x"), "b.yaml": integrationYaml("y") }),
    );
    const w = await startWatching(layout.dir, cleanups);
    layout.remove("b.yaml");
    const removed = await w.generation(2);
    expect(counts(removed.summary)).toEqual({ added: 0, changed: 0, removed: 1, invalid: 0 });
    layout.rename("a.yaml", "c.yaml");
    const renamed = await w.generation(3);
    expect(serving(renamed.state)).toEqual({ x: `c.yaml ${URL_1}` });
    expect([...renamed.state.files.keys()].map((f) => path.basename(f))).toEqual(["c.yaml"]);
  });

  it("keeps serving a broken file's last valid version when the file is renamed", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    layout.write({ "a.yaml": integrationYaml("x", { webhook: { method: "DELETE" } }) });
    expect(serving((await w.generation(2)).state)).toEqual({ x: `a.yaml ${URL_1}` });
    layout.rename("a.yaml", "c.yaml");
    const renamed = await w.generation(3);
    expect(serving(renamed.state)).toEqual({ x: `c.yaml ${URL_1}` });
    expect(renamed.state.problems.map((p) => path.basename(p.file))).toEqual(["c.yaml"]);
  });

  it("picks up files in a new subfolder", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    layout.write({ "team/deep/n.yaml": integrationYaml("n") });
    const next = await w.generation(2);
    expect(serving(next.state)).toMatchObject({ n: `n.yaml ${URL_1}` });
  });

  it("applies a burst of 200 files as one generation", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    const burst = Object.fromEntries(
      Array.from({ length: 200 }, (_, n) => [`burst/f${n}.yaml`, integrationYaml(`f${n}`)]),
    );
    layout.write(burst);
    const next = await w.generation(2);
    expect(counts(next.summary)).toEqual({ added: 200, changed: 0, removed: 0, invalid: 0 });
    await settle();
    expect(w.seen).toHaveLength(2);
  });

  it("makes no generation when a file is rewritten with the same content", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    layout.write({ "a.yaml": integrationYaml("x"), "notes.txt": "not an integration" });
    await settle();
    await w.watcher.resync();
    expect(w.seen).toHaveLength(1);
  });

  it("resync() applies a change the events did not announce", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x", v(1)) }));
    const w = await startWatching(layout.dir, cleanups, { debounceMs: 60_000 });
    const file = path.join(layout.dir, "a.yaml");
    const { atime, mtime, size } = fs.statSync(file);
    layout.write({ "a.yaml": integrationYaml("x", v(2)) });
    fs.utimesSync(file, atime, mtime);
    expect(fs.statSync(file).size).toBe(size);
    await settle();
    expect(w.seen).toHaveLength(1);
    await w.watcher.resync();
    expect(w.seen).toHaveLength(2);
    expect(serving(w.watcher.current())).toEqual({ x: `a.yaml ${url(2)}` });
  });

  it("reports a missing folder and loads it once it appears", async () => {
    const layout = later(plainLayout());
    const dir = path.join(layout.dir, "later");
    const w = await startWatching(dir, cleanups);
    expect(w.seen[0]?.summary).toMatchObject({ generation: 1, added: 0, invalid: 1 });
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "a.yaml"), integrationYaml("x"));
    const next = await w.generation(2);
    expect(serving(next.state)).toEqual({ x: `a.yaml ${URL_1}` });
    expect(next.state.problems).toEqual([]);
  });

  it("keeps its integrations while the folder is gone, and applies the folder once it is back", async () => {
    const { dir, w } = await watchFolderOfOne();
    fs.rmSync(dir, { recursive: true });
    await w.watcher.resync();
    await settle();
    expect(w.seen).toHaveLength(1);
    expect(serving(w.watcher.current())).toEqual({ x: `a.yaml ${URL_1}` });
    expect(
      w.logs.filter((l) =>
        /integrations\.d does not exist: keeping configuration generation 1 until it is back/.test(
          l.msg,
        ),
      ),
    ).toHaveLength(1);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "b.yaml"), integrationYaml("y"));
    await w.watcher.resync();
    const next = await w.generation(2);
    expect(serving(next.state)).toEqual({ y: `b.yaml ${URL_1}` });
  });

  it("keeps its integrations when the folder's path becomes a file", async () => {
    const { dir, w } = await watchFolderOfOne();
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, integrationYaml("y"));
    await w.watcher.resync();
    expect(w.seen).toHaveLength(1);
    expect(serving(w.watcher.current())).toEqual({ x: `a.yaml ${URL_1}` });
    expect(w.logs.some((l) => /integrations\.d is not a folder: keeping/.test(l.msg))).toBe(true);
  });

  it("serialises concurrent resyncs and stops after close()", async () => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const w = await startWatching(layout.dir, cleanups);
    layout.write({ "b.yaml": integrationYaml("y") });
    await Promise.all([w.watcher.resync(), w.watcher.resync(), w.watcher.resync()]);
    expect(w.seen.map((s) => s.state.generation)).toEqual([1, 2]);
    await w.watcher.close();
    layout.write({ "c.yaml": integrationYaml("z") });
    await settle();
    expect(w.seen).toHaveLength(2);
  });
});

describe("createConfigWatcher with links that lead out of the folder's watch", () => {
  /** Far beyond every wait here: only the file watches can apply a change in time. */
  const noResync = { resyncIntervalMs: 600_000 };

  /** A temp folder outside every layout, holding `files`; removed after the test. */
  function outsideDir(files: Record<string, string>): string {
    const dir = makeTempDir("hookswitch-outside-");
    cleanups.push(() => removeDir(dir));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  }

  /** Re-aims `link` at `target` in one step, as a deployment tool swaps links. */
  function reaimLink(link: string, target: string): void {
    fs.symlinkSync(target, `${link}.tmp`);
    fs.renameSync(`${link}.tmp`, link);
  }

  /** Scans that found nothing to change: each one is a poke from some watch. */
  const idleScans = (w: Watching) =>
    w.logs.filter((l) => l.msg === "integrations folder rescanned: nothing changed").length;

  it.each([
    ["outside the folder", () => outsideDir({ "ext.yaml": integrationYaml("ext") })],
    [
      "under a hidden folder inside it",
      (dir: string) => {
        fs.mkdirSync(path.join(dir, ".shared"));
        fs.writeFileSync(path.join(dir, ".shared", "ext.yaml"), integrationYaml("ext"));
        return path.join(dir, ".shared");
      },
    ],
  ])("applies an edit to a linked file's target %s", async (_where, makeTarget) => {
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const target = path.join(makeTarget(layout.dir), "ext.yaml");
    fs.symlinkSync(target, path.join(layout.dir, "ext.yaml"));
    const w = await startWatching(layout.dir, cleanups, noResync);
    expect(serving(w.watcher.current()).ext).toBe(`ext.yaml ${URL_1}`);
    await settle();
    const next = await writeAndAwait(w, target, integrationYaml("ext", v(2)), 2);
    expect(counts(next.summary)).toEqual({ added: 0, changed: 1, removed: 0, invalid: 0 });
    expect(serving(next.state).ext).toBe(`ext.yaml ${url(2)}`);
  });

  it("applies an edit and a new file in a linked folder outside the folder", async () => {
    const outside = outsideDir({ "ext.yaml": integrationYaml("ext") });
    fs.mkdirSync(path.join(outside, "deep"));
    fs.writeFileSync(path.join(outside, "deep", "d.yaml"), integrationYaml("d"));
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    fs.symlinkSync(outside, path.join(layout.dir, "linked"));
    const w = await startWatching(layout.dir, cleanups, noResync);
    expect(Object.keys(serving(w.watcher.current())).sort()).toEqual(["d", "ext", "x"]);
    await settle();
    const edited = await writeAndAwait(
      w,
      path.join(outside, "ext.yaml"),
      integrationYaml("ext", v(2)),
      2,
    );
    expect(serving(edited.state).ext).toBe(`ext.yaml ${url(2)}`);
    // Folders below the linked one are watched as well.
    fs.writeFileSync(path.join(outside, "deep", "e.yaml"), integrationYaml("e"));
    const added = await w.generation(3, 2_000);
    expect(counts(added.summary)).toEqual({ added: 1, changed: 0, removed: 0, invalid: 0 });
  });

  it("follows a linked folder re-aimed at another folder outside", async () => {
    const first = outsideDir({ "ext.yaml": integrationYaml("ext") });
    const second = outsideDir({ "ext.yaml": integrationYaml("ext", v(2)) });
    const layout = later(plainLayout({ "a.yaml": integrationYaml("x") }));
    const link = path.join(layout.dir, "linked");
    fs.symlinkSync(first, link);
    const w = await startWatching(layout.dir, cleanups, noResync);
    reaimLink(link, second);
    expect(serving((await w.generation(2)).state).ext).toBe(`ext.yaml ${url(2)}`);
    await settle();
    const third = await writeAndAwait(
      w,
      path.join(second, "ext.yaml"),
      integrationYaml("ext", v(3)),
      3,
    );
    expect(serving(third.state).ext).toBe(`ext.yaml ${url(3)}`);
    // The old target's watch is closed: an edit there does not even cause a rescan.
    await settle();
    const scansBefore = idleScans(w);
    fs.writeFileSync(path.join(first, "ext.yaml"), integrationYaml("ext", v(9)));
    await settle();
    expect(idleScans(w)).toBe(scansBefore);
    expect(w.seen).toHaveLength(3);
  });
});

describe("createConfigWatcher on a ConfigMap volume", () => {
  const files = (a: number, extra: Record<string, string> = {}) => ({
    "a.yaml": integrationYaml("a", v(a)),
    "b.yaml": integrationYaml("b"),
    ...extra,
  });

  it("applies changed, added and removed keys, one generation per swap", async () => {
    const layout = later(configMapLayout(files(1)));
    const w = await startWatching(layout.dir, cleanups);
    layout.swap(files(2));
    const changed = await w.generation(2);
    expect(changed.summary).toMatchObject({ added: 0, changed: 1, removed: 0, unchanged: 1 });
    expect(serving(changed.state).a).toBe(`a.yaml ${url(2)}`);
    layout.swap(files(2, { "c.yaml": integrationYaml("c") }));
    expect((await w.generation(3)).summary).toMatchObject({ added: 1, changed: 0, removed: 0 });
    layout.swap({ "a.yaml": integrationYaml("a", v(2)), "c.yaml": integrationYaml("c") });
    const removed = await w.generation(4);
    expect(removed.summary).toMatchObject({ added: 0, changed: 0, removed: 1 });
    expect(Object.keys(serving(removed.state)).sort()).toEqual(["a", "c"]);
    await settle();
    expect(w.seen).toHaveLength(4);
  });

  it("applies a swap that leaves the old timestamped folder in place", async () => {
    const layout = later(configMapLayout(files(1)));
    const w = await startWatching(layout.dir, cleanups);
    layout.swap(files(6), { keepOld: true });
    const next = await w.generation(2);
    expect(counts(next.summary)).toEqual({ added: 0, changed: 1, removed: 0, invalid: 0 });
    expect(serving(next.state).a).toBe(`a.yaml ${url(6)}`);
  });
});

describe("createConfigWatcher on a git-sync checkout", () => {
  it("applies a new commit that changes and adds files", async () => {
    const layout = later(
      gitSyncLayout({ "a.yaml": integrationYaml("a"), "b.yaml": integrationYaml("b") }),
    );
    const w = await startWatching(layout.dir, cleanups);
    layout.commit({
      "a.yaml": integrationYaml("a", v(2)),
      "b.yaml": integrationYaml("b"),
      "c.yaml": integrationYaml("c"),
    });
    const second = await w.generation(2);
    expect(second.summary).toMatchObject({ added: 1, changed: 1, removed: 0, unchanged: 1 });
    // The folder was re-aimed at the new worktree: later commits are seen as well.
    layout.commit({ "a.yaml": integrationYaml("a", v(3)), "c.yaml": integrationsYaml(["c", "d"]) });
    const third = await w.generation(3);
    expect(third.summary).toMatchObject({ added: 1, changed: 1, removed: 1 });
    expect(Object.keys(serving(third.state)).sort()).toEqual(["a", "c", "d"]);
  });

  it("applies a commit that leaves the old worktree in place", async () => {
    const layout = later(gitSyncLayout({ "a.yaml": integrationYaml("a") }));
    const w = await startWatching(layout.dir, cleanups);
    layout.commit({ "a.yaml": integrationYaml("a", v(2)) }, { keepOld: true });
    expect(serving((await w.generation(2)).state).a).toBe(`a.yaml ${url(2)}`);
    layout.commit({ "a.yaml": integrationYaml("a", v(3)) }, { keepOld: true });
    expect(serving((await w.generation(3)).state).a).toBe(`a.yaml ${url(3)}`);
  });

  it("follows swaps when the folder is the swapped link itself", async () => {
    const layout = later(gitSyncLayout({ "a.yaml": integrationYaml("a") }));
    const w = await startWatching(layout.link, cleanups);
    layout.commit({ "a.yaml": integrationYaml("a", v(2)) });
    expect(serving((await w.generation(2)).state).a).toBe(`a.yaml ${url(2)}`);
    layout.commit({ "a.yaml": integrationYaml("a", v(2)), "b.yaml": integrationYaml("b") });
    expect((await w.generation(3)).summary).toMatchObject({ added: 1 });
  });
});
