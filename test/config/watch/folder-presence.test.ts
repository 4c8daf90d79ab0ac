import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { folderProblem } from "../../../src/config/watch/folder-presence.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-presence-"));
  await mkdir(join(dir, "integrations.d"));
  await writeFile(join(dir, "file.yaml"), "x: 1\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("folderProblem", () => {
  it.each([
    ["integrations.d", undefined],
    ["file.yaml", "{path} is not a folder"],
    ["missing.d", "{path} does not exist"],
    ["file.yaml/below", "{path} cannot be read (ENOTDIR)"],
  ])("says of %s: %s", async (name, said) => {
    const path = join(dir, name);
    expect(await folderProblem(path)).toBe(said?.replace("{path}", path));
  });
});
