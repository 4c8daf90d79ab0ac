import { describe, expect, it } from "vitest";
import { createSkipLog, type SkipLine } from "../../src/delivery/skip-log.js";
import { capturingLogger } from "../support/logs.js";

const line = (integration: string, i: number): SkipLine => ({
  integration,
  webhookId: `msg_${i}`,
  eventId: `event-${i}`,
  why: "disabled",
});

describe("the skip log", () => {
  it("logs each integration's first skips of an interval in full, with the event, and counts the rest", () => {
    const { log, lines } = capturingLogger("info");
    let clock = 0;
    const skips = createSkipLog(log, { perInterval: 3, intervalMs: 1_000, now: () => clock });
    for (let i = 0; i < 1_000; i++) skips.skipped(line("crm", i));
    skips.skipped({ ...line("old", 0), why: "removed" });
    clock = 1_000;
    skips.skipped(line("crm", 1_000));
    skips.flush();

    const full = lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("delivery"));
    expect(full.map((l) => [l.msg, l.integration, l.eventId])).toEqual([
      ["delivery skipped: integration disabled", "crm", "event-0"],
      ["delivery skipped: integration disabled", "crm", "event-1"],
      ["delivery skipped: integration disabled", "crm", "event-2"],
      ["delivery skipped: integration removed", "old", "event-0"],
      ["delivery skipped: integration disabled", "crm", "event-1000"],
    ]);
    const counted = lines.filter((l) => "notLogged" in l);
    expect(counted).toMatchObject([{ level: "info", integration: "crm", notLogged: 997 }]);
    expect(counted[0]!.msg).toBe(
      '997 more deliveries of crm skipped without a line each (the first 3 every 1 s are logged): hookswitch_deliveries_total{outcome="skipped"} counts them all',
    );
  });
});
