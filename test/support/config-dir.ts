/**
 * Integration folders laid out the ways they reach the daemon: a plain folder, a
 * Kubernetes ConfigMap volume (`..data` symlink swapped atomically) and a git-sync
 * checkout (a `current` symlink swapped to a new worktree). Every change is made with
 * the same steps the real writer uses, synchronously, so a swap is one burst.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { expect } from "vitest";
import { loadFile } from "../../src/config/load/load.js";
import type { Integration } from "../../src/config/types.js";

type Plain = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Plain =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep-merges `overrides` into `base`; an `undefined` override removes the key. */
function merge(base: Plain, overrides: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && isPlainObject(current)) out[key] = merge(current, value);
    else out[key] = value;
  }
  return out;
}

/** The smallest valid integration named `name`, with `overrides` merged in. */
export function integrationObject(name: string, overrides: Plain = {}): Plain {
  const base: Plain = {
    apiVersion: "hookswitch/v1",
    name,
    scope: { account: "acme" },
    trigger: { serviceType: "mycloudpbx", events: ["user.created"] },
    webhook: { url: "http://127.0.0.1:9/hook" },
  };
  return merge(base, overrides);
}

/** YAML text of one integration (see `integrationObject`). */
export function integrationYaml(name: string, overrides: Plain = {}): string {
  return stringify(integrationObject(name, overrides));
}

/** Several integrations as one multi-document YAML file. */
export function integrationsYaml(names: string[]): string {
  return names.map((name) => integrationYaml(name)).join("---\n");
}

/** A fresh temp folder; remove it with `removeDir`. */
export function makeTempDir(prefix = "hookswitch-config-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export type FileSet = Record<string, string>;

function writeFiles(dir: string, files: FileSet): void {
  for (const [rel, text] of Object.entries(files)) {
    const target = path.join(dir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
}

export interface PlainLayout {
  /** The folder the daemon reads. */
  dir: string;
  write(files: FileSet): void;
  /** Writes a temp file beside the target and renames it over, as most editors do. */
  writeAtomic(rel: string, text: string): void;
  remove(rel: string): void;
  rename(from: string, to: string): void;
  cleanup(): void;
}

export function plainLayout(files: FileSet = {}): PlainLayout {
  const root = makeTempDir();
  const dir = path.join(root, "integrations.d");
  fs.mkdirSync(dir);
  writeFiles(dir, files);
  return {
    dir,
    write: (more) => writeFiles(dir, more),
    writeAtomic(rel, text) {
      const target = path.join(dir, rel);
      const temp = path.join(path.dirname(target), `.${path.basename(rel)}.swp`);
      fs.writeFileSync(temp, text);
      fs.renameSync(temp, target);
    },
    remove: (rel) => fs.rmSync(path.join(dir, rel), { recursive: true }),
    rename: (from, to) => fs.renameSync(path.join(dir, from), path.join(dir, to)),
    cleanup: () => removeDir(root),
  };
}

export interface SwapOptions {
  /** Leave the previous timestamped folder (or worktree) in place after the swap. */
  keepOld?: boolean;
}

export interface ConfigMapLayout {
  /** The volume's mount folder: what the daemon reads. */
  dir: string;
  /** Publishes `files` as the ConfigMap's whole new content (keys are flat names). */
  swap(files: FileSet, options?: SwapOptions): void;
  cleanup(): void;
}

/** A ConfigMap volume, updated with the steps of kubelet's atomic writer. */
export function configMapLayout(files: FileSet): ConfigMapLayout {
  const root = makeTempDir();
  const dir = path.join(root, "integrations.d");
  fs.mkdirSync(dir);
  const dataLink = path.join(dir, "..data");
  let serial = 0;
  const nextStampDir = () => `..2026_01_01_00_00_00.${String(++serial).padStart(9, "0")}`;

  function swap(next: FileSet, options: SwapOptions = {}): void {
    const old = fs.existsSync(dataLink) ? fs.readlinkSync(dataLink) : undefined;
    const stamp = nextStampDir();
    writeFiles(path.join(dir, stamp), next);
    const temp = path.join(dir, "..data_tmp");
    fs.symlinkSync(stamp, temp);
    fs.renameSync(temp, dataLink);
    for (const name of Object.keys(next)) {
      const link = path.join(dir, name);
      if (!isLink(link)) fs.symlinkSync(path.join("..data", name), link);
    }
    if (old === undefined) return;
    for (const name of fs.readdirSync(path.join(dir, old))) {
      if (!(name in next)) fs.unlinkSync(path.join(dir, name));
    }
    if (!options.keepOld) removeDir(path.join(dir, old));
  }

  swap(files);
  return { dir, swap, cleanup: () => removeDir(root) };
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export interface GitSyncLayout {
  /** git-sync's `--root`. */
  root: string;
  /** `root/current`: the symlink git-sync swaps. */
  link: string;
  /** `root/current/integrations.d`: what the daemon reads. */
  dir: string;
  /** Publishes a new commit whose `integrations.d/` holds exactly `files`; returns its hash. */
  commit(files: FileSet, options?: SwapOptions): string;
  cleanup(): void;
}

/** A git-sync checkout: `root/.worktrees/<hash>/` published by swapping `root/current`. */
export function gitSyncLayout(files: FileSet): GitSyncLayout {
  const root = makeTempDir();
  const link = path.join(root, "current");
  let serial = 0;

  function commit(next: FileSet, options: SwapOptions = {}): string {
    const old = fs.existsSync(link) ? fs.readlinkSync(link) : undefined;
    const hash = createHash("sha1")
      .update(`${++serial}:${JSON.stringify(next)}`)
      .digest("hex");
    const worktree = path.join(".worktrees", hash);
    writeFiles(path.join(root, worktree, "integrations.d"), next);
    const temp = path.join(root, "current.tmp");
    fs.symlinkSync(worktree, temp);
    fs.renameSync(temp, link);
    if (old !== undefined && !options.keepOld) removeDir(path.join(root, old));
    return hash;
  }

  commit(files);
  return {
    root,
    link,
    dir: path.join(link, "integrations.d"),
    commit,
    cleanup: () => removeDir(root),
  };
}

/**
 * Loads integration "crm" from a YAML file written in `dir`, its references resolved from
 * `env`, as `run` loads it; fails the test if the file has problems.
 */
export function integrationLoader(dir: string) {
  let files = 0;
  return async (webhook: Record<string, unknown>, env: Record<string, string>) => {
    const file = path.join(dir, `i${++files}.yaml`);
    await fs.promises.writeFile(file, integrationYaml("crm", { webhook }));
    const result = await loadFile(file, { secrets: "resolve", env });
    expect(result.problems).toEqual([]);
    return result.integrations[0] as Integration;
  };
}
