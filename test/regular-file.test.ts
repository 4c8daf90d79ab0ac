import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRegularFile, whyUnreadable } from "../src/regular-file.js";

describe("whyUnreadable says in words why a named file could not be read", () => {
  it.each<[unknown, string]>([
    [Object.assign(new Error("x"), { code: "ENOENT" }), "ENOENT: no such file"],
    [Object.assign(new Error("x"), { code: "EACCES" }), "EACCES: permission denied"],
    [Object.assign(new Error("x"), { code: "EISDIR" }), "EISDIR: a folder, not a file"],
    [
      Object.assign(new Error("x"), { code: "ENOTDIR" }),
      "ENOTDIR: a part of the path is not a folder",
    ],
    [Object.assign(new Error("x"), { code: "EIO" }), "EIO"],
    [new Error("the secret budget is spent"), "the secret budget is spent"],
  ])("%o: %s", (err, words) => {
    expect(whyUnreadable(err)).toBe(words);
  });

  const dir = mkdtempSync(join(tmpdir(), "hookswitch-unreadable-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("for what reading real paths throws", () => {
    const file = join(dir, "file");
    writeFileSync(file, "x");
    const thrown = (path: string) => {
      try {
        readRegularFile(path, 100);
      } catch (err) {
        return whyUnreadable(err);
      }
      return "read";
    };
    expect(thrown(join(dir, "none"))).toBe("ENOENT: no such file");
    expect(thrown(join(file, "below"))).toBe("ENOTDIR: a part of the path is not a folder");
    expect(thrown(file)).toBe("read");
    if (process.getuid?.() !== 0) {
      chmodSync(file, 0);
      expect(thrown(file)).toBe("EACCES: permission denied");
    }
  });
});

describe("readRegularFile of a file that claims no size (/proc)", () => {
  it("reads all of one the kernel gives in several pieces", () => {
    const read = readRegularFile("/proc/self/smaps", 1024 * 1024);
    if (!read.ok) throw new Error(`not read: ${read.why}`);
    const text = read.bytes.toString("utf8");
    // One mapping per header line, each closed by its VmFlags line.
    const mappings = text.match(/^[0-9a-f]+-[0-9a-f]+ /gm) ?? [];
    expect(read.bytes.length).toBeGreaterThan(8192);
    expect(text.match(/^VmFlags:/gm)).toHaveLength(mappings.length);
  });

  it("refuses one longer than the limit, not cut to it", () => {
    const read = readRegularFile("/proc/self/status", 100);
    expect(read).toEqual({ ok: false, why: "too-large", size: 101 });
  });
});
