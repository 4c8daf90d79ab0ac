import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { waitForFolder } from "../../../src/config/watch/folder-presence.js";
import { capturingLogger } from "../../support/logs.js";

let parent: string;
beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), "hookswitch-wait-"));
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

const START = Date.parse("2026-01-01T00:00:00Z");

/**
 * Waits for a folder that never comes, for `polls` polls, the clock (only `Date`, faked)
 * moving `stepMs` at each; returns the polls (from 0) at which the wait said it waits.
 */
async function remindersAt(polls: number, stepMs: number, remindMs: number): Promise<number[]> {
  vi.useFakeTimers({ toFake: ["Date"], now: START });
  const { log, lines } = capturingLogger();
  const before: number[] = [];
  const stopped = () => {
    before.push(lines.length);
    if (before.length > polls) return true;
    vi.setSystemTime(START + (before.length - 1) * stepMs);
    return false;
  };
  const there = await waitForFolder(join(parent, "missing.d"), {
    log,
    stopped,
    pollMs: 1,
    remindMs,
  });
  expect(there).toBe(false);
  expect(new Set(lines.map((l) => l.msg))).toEqual(
    new Set([
      `${join(parent, "missing.d")} does not exist: no events are consumed until the integrations folder is there (check --dir)`,
    ]),
  );
  return before.slice(1).flatMap((n, poll) => (n > before[poll]! ? [poll] : []));
}

describe("waitForFolder's reminder that the folder is missing", () => {
  it.each([
    ["the clock stands still", 5, 0, [0]],
    ["each poll is 400 ms after the one before", 8, 400, [0, 3, 6]],
    ["a poll falls on the interval's end", 5, 500, [0, 2, 4]],
    ["each poll is a whole interval after the one before", 4, 1_000, [0, 1, 2, 3]],
  ])(
    "is said at the first poll and again once per 1 s interval when %s",
    async (_when, polls, stepMs, expected) => {
      expect(await remindersAt(polls, stepMs, 1_000)).toEqual(expected);
    },
  );

  it("ends as soon as the folder is there, without a word once it is", async () => {
    const dir = await mkdtemp(join(parent, "there-"));
    const { log, lines } = capturingLogger();
    expect(await waitForFolder(dir, { log, stopped: () => false, pollMs: 1 })).toBe(true);
    expect(lines).toEqual([]);
  });
});
