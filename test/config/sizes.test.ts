import { describe, expect, it } from "vitest";
import { formatSize, parseSize } from "../../src/config/sizes.js";

describe("sizes on the command line", () => {
  it.each([
    ["65536", 65_536],
    ["64KiB", 65_536],
    ["1MiB", 1_048_576],
    ["960KiB", 983_040],
    ["12B", 12],
    [" 64KiB ", 65_536],
    ["64kib", undefined],
    ["64KB", undefined],
    ["64 KiB", undefined],
    ["1.5MiB", undefined],
    ["-1", undefined],
    ["", undefined],
    ["KiB", undefined],
  ])("%j is %s bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    [65_536, "64 KiB"],
    [1_048_576, "1 MiB"],
    [983_040, "960 KiB"],
    [1_572_864, "1536 KiB"],
    [1_024, "1 KiB"],
    [1_500, "1500 bytes"],
    [0, "0 bytes"],
  ])("%i bytes are written %s", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});
