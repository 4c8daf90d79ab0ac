import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadFiles } from "../../../src/config/load/load.js";
import { createFolderReader, type ScanDepth } from "../../../src/config/watch/folder-reader.js";
import { integrationYaml, makeTempDir, removeDir } from "../../support/config-dir.js";
import { sleep } from "../../support/wait.js";

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) removeDir(dir);
});

const load = { secrets: "resolve" as const, env: {} };
const v = (n: number) => ({ webhook: { url: `http://127.0.0.1:9/v${n}` } });
/** A whole second: a modification time set to it is restored exactly. */
const SECOND = 1_700_000_000;

/**
 * A folder `integrations.d` holding a.yaml, b.yaml (which reads a secret file) and link.yaml
 * (a link to a file outside), and `count` more files f0000.yaml…; every file's modification
 * time set to `SECOND`.
 */
function folder(count = 0) {
  const root = makeTempDir("hookswitch-rereads-");
  temps.push(root);
  const dir = path.join(root, "integrations.d");
  fs.mkdirSync(dir);
  const secret = path.join(root, "token");
  const target = path.join(root, "target.yaml");
  fs.writeFileSync(secret, "tok\n");
  fs.writeFileSync(target, integrationYaml("linked", v(1)));
  fs.writeFileSync(path.join(dir, "a.yaml"), integrationYaml("x", v(1)));
  const token = { webhook: { auth: { type: "token", token: `\${file:${secret}}` } } };
  fs.writeFileSync(path.join(dir, "b.yaml"), integrationYaml("y", token));
  fs.symlinkSync(target, path.join(dir, "link.yaml"));
  for (let n = 0; n < count; n++) {
    const name = `f${String(n).padStart(4, "0")}`;
    fs.writeFileSync(path.join(dir, `${name}.yaml`), integrationYaml(name, v(1)));
  }
  for (const file of [target, ...fs.readdirSync(dir).map((f) => path.join(dir, f))]) {
    fs.utimesSync(file, SECOND, SECOND);
  }
  return { dir, target };
}

/** Rewrites `file` with `text` of the same size and its modification time kept. */
async function rewriteInPlace(file: string, text: string): Promise<void> {
  const before = fs.statSync(file, { bigint: true });
  expect(Buffer.byteLength(text)).toBe(Number(before.size));
  // The change time moves by the kernel's tick: wait until it has.
  for (let tries = 0; fs.statSync(file, { bigint: true }).ctimeNs === before.ctimeNs; tries++) {
    if (tries > 0) await sleep(5);
    fs.writeFileSync(file, text);
    fs.utimesSync(file, SECOND, SECOND);
  }
  expect(fs.statSync(file, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
}

type Change = (f: ReturnType<typeof folder>) => void | Promise<void>;
const nothing: Change = () => {};

describe("a folder reader's scan after a first full one", () => {
  it.each<[string, Change, ScanDepth, string[]]>([
    ["reads nothing when nothing changed", nothing, "changed", []],
    [
      "reads an edited file again",
      ({ dir }) => fs.writeFileSync(path.join(dir, "a.yaml"), integrationYaml("x", v(22))),
      "changed",
      ["a.yaml"],
    ],
    [
      "reads a file rewritten with its size and modification time kept",
      ({ dir }) => rewriteInPlace(path.join(dir, "a.yaml"), integrationYaml("x", v(2))),
      "changed",
      ["a.yaml"],
    ],
    [
      "reads a link again when its target outside was edited",
      ({ target }) => rewriteInPlace(target, integrationYaml("linked", v(2))),
      "changed",
      ["link.yaml"],
    ],
    [
      "reads the files that read other files when asked for those",
      nothing,
      "referenced",
      ["b.yaml"],
    ],
    ["reads every file when asked for all", nothing, "full", ["a.yaml", "b.yaml", "link.yaml"]],
  ])("%s", async (_title, change, depth, expected) => {
    const f = folder();
    const reads: string[][] = [];
    const loader: typeof loadFiles = (files, options, threadsFrom) => {
      reads.push(files.map((file) => path.basename(file)).sort());
      return loadFiles(files, options, threadsFrom);
    };
    const reader = createFolderReader(f.dir, load, () => {}, loader);
    await reader.scan("full");
    await change(f);
    const scan = await reader.scan(depth);
    expect(reads.slice(1)).toEqual([expected]);
    expect(scan.files.flatMap((file) => file.problems)).toEqual([]);
  });

  it("reads only the edited file of a folder of a thousand", async () => {
    const f = folder(1_001);
    const reads: string[][] = [];
    const loader: typeof loadFiles = (files, options, threadsFrom) => {
      reads.push(files.map((file) => path.basename(file)));
      return loadFiles(files, options, threadsFrom);
    };
    const reader = createFolderReader(f.dir, load, () => {}, loader);
    await reader.scan("full");
    await rewriteInPlace(path.join(f.dir, "f0700.yaml"), integrationYaml("f0700", v(2)));
    await reader.scan("changed");
    expect(reads.slice(1)).toEqual([["f0700.yaml"]]);
  });

  it("hands a result that failed unexpectedly to onFailure when it is read, not at every scan", async () => {
    const f = folder();
    const failed: string[] = [];
    const loader: typeof loadFiles = async (files, options, threadsFrom) =>
      (await loadFiles(files, options, threadsFrom)).map((result) =>
        path.basename(result.file) === "a.yaml"
          ? { ...result, internalError: "Error: a bug\n    at load" }
          : result,
      );
    const reader = createFolderReader(
      f.dir,
      load,
      (r) => failed.push(path.basename(r.file)),
      loader,
    );
    await reader.scan("full");
    await reader.scan("changed");
    expect(failed).toEqual(["a.yaml"]);
    await reader.scan("full");
    expect(failed).toEqual(["a.yaml", "a.yaml"]);
  });
});
