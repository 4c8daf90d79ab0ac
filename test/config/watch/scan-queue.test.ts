import { afterEach, describe, expect, it, vi } from "vitest";
import type { ScanDepth } from "../../../src/config/watch/folder-reader.js";
import { createDebouncer, createScanQueue } from "../../../src/config/watch/scan-queue.js";
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

describe("createDebouncer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** When `fire` is called for pokes at the given times, on a fake clock from 0. */
  function firedAt(pokes: number[], until: number): number[] {
    vi.useFakeTimers({ now: 0 });
    const fired: number[] = [];
    const debouncer = createDebouncer(100, 250, () => fired.push(Date.now()));
    for (const at of pokes) {
      vi.advanceTimersByTime(at - Date.now());
      debouncer.poke();
    }
    vi.advanceTimersByTime(until - Date.now());
    return fired;
  }

  it.each([
    { what: "once events pause", pokes: [0, 50], fired: [150] },
    {
      what: "at the latest maxWaitMs after the first while they never pause",
      pokes: [0, 80, 160, 240],
      fired: [250],
    },
    {
      what: "again for a burst that begins after one fired",
      pokes: [0, 200, 280, 360, 440],
      fired: [100, 450],
    },
  ])("fires $what", ({ pokes, fired }) => {
    expect(firedAt(pokes, 1_000)).toEqual(fired);
  });
});
