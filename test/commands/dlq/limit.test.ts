import { describe, expect, it } from "vitest";
import { firstOf, parseLimit } from "../../../src/commands/dlq/limit.js";
import { asFlag } from "../../../src/commands/options/env-flags.js";
import { UsageError } from "../../../src/errors.js";

async function* counting(n: number, read: number[]): AsyncGenerator<number> {
  for (let i = 1; i <= n; i++) {
    await Promise.resolve(); // read from somewhere, as the queue is
    read.push(i);
    yield i;
  }
}

describe("dlq list's limit", () => {
  it.each([
    // records, limit, listed, more left out, records read
    [0, 2, [], false, 0],
    [1, 2, [1], false, 1],
    [2, 2, [1, 2], false, 2],
    [5, 2, [1, 2], true, 3],
    [5, 1, [1], true, 2],
    [3, undefined, [1, 2, 3], false, 3],
  ])(
    "of %i records with --limit %s lists %j (more: %s), reading %i",
    async (n, limit, listed, more, readCount) => {
      const read: number[] = [];
      const limited = firstOf(counting(n, read), limit);
      const got: number[] = [];
      for await (const record of limited.records) got.push(record);
      expect(got).toEqual(listed);
      expect(limited.more()).toBe(more);
      expect(read).toHaveLength(readCount);
    },
  );

  it("ends the reading underneath once the limit is reached", async () => {
    let ended = false;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 0; i < 1_000; i++) yield await Promise.resolve(i);
      } finally {
        ended = true;
      }
    }
    const limited = firstOf(endless(), 3);
    for await (const record of limited.records) expect(record).toBeLessThan(3);
    expect(ended).toBe(true);
  });

  it.each([
    ["1", 1],
    ["50", 50],
    [undefined, undefined],
  ])("takes %j as %j", (text, limit) => {
    expect(parseLimit(text, asFlag)).toBe(limit);
  });

  it.each(["0", "-1", "", "abc", "1e3", "0x10", " 7", "2.5"])(
    "refuses %j, naming the flag",
    (text) => {
      expect(() => parseLimit(text, asFlag)).toThrow(UsageError);
      expect(() => parseLimit(text, asFlag)).toThrow(/^--limit must be a whole number ≥ 1/);
    },
  );
});
