import { describe, expect, it, vi } from "vitest";
import type { ScanDepth } from "../../../src/config/watch/folder-reader.js";
import { createScanQueue } from "../../../src/config/watch/scan-queue.js";
import { capturingLogger } from "../../support/logs.js";

/** A queue whose scans wait until `release` is called; `depths` lists the scans run. */
function gatedQueue() {
  const depths: ScanDepth[] = [];
  let open: () => void = () => undefined;
  const queue = createScanQueue(async (depth) => {
    depths.push(depth);
    await new Promise<void>((resolve) => (open = resolve));
  }, capturingLogger().log);
  return { queue, depths, release: () => open() };
}

describe("createScanQueue", () => {
  it.each<[ScanDepth[], ScanDepth]>([
    [["changed", "full", "referenced"], "full"],
    [["referenced", "changed"], "referenced"],
    [["changed", "changed"], "changed"],
  ])(
    "merges requests %j made during a scan into one scan at the deepest, %s",
    async (asked, deepest) => {
      const { queue, depths, release } = gatedQueue();
      const first = queue.request("changed");
      const merged = asked.map((depth) => queue.request(depth));
      release();
      await first;
      await vi.waitFor(() => expect(depths).toHaveLength(2));
      release();
      await Promise.all(merged);
      expect(depths).toEqual(["changed", deepest]);
    },
  );

  it("runs no scan asked for once closed", async () => {
    const { queue, depths, release } = gatedQueue();
    const first = queue.request("changed");
    release();
    await first;
    await queue.close();
    expect(await queue.request("full")).toBeUndefined();
    expect(depths).toEqual(["changed"]);
  });
});
