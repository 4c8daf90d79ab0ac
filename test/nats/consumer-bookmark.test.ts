import { DeliverPolicy } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { isStale, type Bookmark } from "../../src/nats/consumer-bookmark.js";

describe("a bookmark beside a consumer that exists", () => {
  const now = Date.parse("2026-12-01T06:00:00.000Z");
  const bookmark = (ageMs: number): Bookmark => ({
    start: { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 3 },
    token: "0a1b2c3d4e5f",
    createdAt: now - ageMs,
  });

  it.each([
    ["written a second ago (a replica about to delete the consumer)", 1_000, false],
    ["written 4 minutes ago", 4 * 60_000, false],
    ["written 6 minutes ago (left by a stop after the creation)", 6 * 60_000, true],
    ["written a day ago", 24 * 60 * 60_000, true],
  ])("counts one %s as stale: %s", (_what, ageMs, stale) => {
    expect(isStale(bookmark(ageMs), now)).toBe(stale);
  });
});
