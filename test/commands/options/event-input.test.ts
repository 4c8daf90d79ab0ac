import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  EventInputTooLargeError,
  largeEventWarning,
  readEventInput,
} from "../../../src/commands/options/event-input.js";

const dir = mkdtempSync(join(tmpdir(), "hookswitch-event-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileOf(name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(bytes, "x"));
  return path;
}

describe("readEventInput", () => {
  it.each([
    ["an empty file", 0],
    ["a file of exactly the limit", 100],
  ])("reads %s whole", async (name, bytes) => {
    const read = await readEventInput(fileOf(name, bytes), 100);
    expect(read.length).toBe(bytes);
  });

  it("refuses a file one byte over the limit", async () => {
    await expect(readEventInput(fileOf("over", 101), 100)).rejects.toThrow(EventInputTooLargeError);
  });

  it("stops reading a device that never ends", async () => {
    const refused = readEventInput("/dev/zero", 1_000);
    await expect(refused).rejects.toThrow("it holds more than 1000 bytes, the most an event may");
  });

  it("passes on the file system's error", async () => {
    await expect(readEventInput(join(dir, "missing.json"))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});

describe("largeEventWarning", () => {
  it.each<[number, string | undefined]>([
    [0, undefined],
    [64 * 1024, undefined],
    [64 * 1024 + 1, "65 KiB"],
    [99 * 1024, "99 KiB"],
    [99 * 1024 - 1, "99 KiB"],
  ])("for an event of %i bytes warns of %s", (bytes, size) => {
    const warning = largeEventWarning(bytes);
    if (size === undefined) expect(warning).toBeUndefined();
    else {
      expect(warning).toBe(
        `warning: this event is ${size}, larger than the daemon's default --max-event-size ` +
          "(64KiB): a daemon run with that default dead-letters it",
      );
    }
  });
});
