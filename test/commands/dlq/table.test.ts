import { describe, expect, it } from "vitest";
import { deadLetterRow, formatDeadLetterRows } from "../../../src/commands/dlq/table.js";
import type { ListedDeadLetter } from "../../../src/delivery/records.js";

/** A dead letter of integration "crm" after two attempts, changed by `over`. */
function record(over: Partial<ListedDeadLetter> = {}): ListedDeadLetter {
  return {
    v: 1,
    id: 7,
    integration: "crm",
    webhookId: "msg_1",
    eventId: "evt-1",
    reason: "HTTP 500 after 2 attempts",
    event: {},
    attempts: [
      { at: "2026-12-05T10:00:00.000Z", status: 500 },
      { at: "2026-12-05T10:00:01.000Z", status: 500 },
    ],
    lastStatus: 500,
    lastError: null,
    lastResponseBody: null,
    firstAttemptAt: "2026-12-05T10:00:00.000Z",
    lastAttemptAt: "2026-12-05T10:00:01.000Z",
    deadAt: "2026-12-05T10:00:02.000Z",
    ...over,
  };
}

describe("deadLetterRow", () => {
  it("gives id, integration, event id, reason, attempts, last outcome and time", () => {
    expect(deadLetterRow(record())).toEqual([
      "7",
      "crm",
      "evt-1",
      "HTTP 500 after 2 attempts",
      "2",
      "HTTP 500",
      "2026-12-05T10:00:01.000Z",
    ]);
  });

  it.each<[string, Partial<ListedDeadLetter>, number, string]>([
    [
      "an invalid event's label",
      { integration: null, reason: "invalid event: not JSON" },
      1,
      "(invalid event)",
    ],
    [
      "a whole event's label",
      { integration: null, reason: "ran out of NATS deliveries" },
      1,
      "(whole event)",
    ],
    [
      "a whole event's label for a reason that says invalid event further on",
      { integration: null, reason: "larger than --max-event-size, not an invalid event" },
      1,
      "(whole event)",
    ],
    [
      "a whole event's label for a reason that starts with invalid but not invalid event",
      { integration: null, reason: "invalid signature from the gateway" },
      1,
      "(whole event)",
    ],
    ["no event id as -", { eventId: null }, 2, "-"],
    ["an event id cut to 40 characters", { eventId: "e".repeat(41) }, 2, `${"e".repeat(39)}…`],
    ["an event id of 40 characters whole", { eventId: "e".repeat(40) }, 2, "e".repeat(40)],
    ["a reason cut to 60 characters", { reason: "r".repeat(61) }, 3, `${"r".repeat(59)}…`],
    ["a reason of 60 characters whole", { reason: "r".repeat(60) }, 3, "r".repeat(60)],
    [
      "a reason's line breaks and tabs as one space",
      { reason: "bad\r\n\tgateway  now" },
      3,
      "bad gateway now",
    ],
    [
      "the error when there was no status",
      { lastStatus: null, lastError: "ECONNREFUSED" },
      5,
      "ECONNREFUSED",
    ],
    ["- with neither status nor error", { lastStatus: null, lastError: null }, 5, "-"],
    [
      "an error cut to 40 characters",
      { lastStatus: null, lastError: "x".repeat(41) },
      5,
      `${"x".repeat(39)}…`,
    ],
    [
      "the time it died when never attempted",
      { lastAttemptAt: null, attempts: [] },
      6,
      "2026-12-05T10:00:02.000Z",
    ],
    [
      "an event id's control characters as �",
      { eventId: "a\u001b]0;x\u0007" },
      2,
      "a\ufffd]0;x\ufffd",
    ],
    ["an integration's control characters as �", { integration: "c\u009bm" }, 1, "c\ufffdm"],
  ])("shows %s", (_what, over, column, shown) => {
    expect(deadLetterRow(record(over))[column]).toBe(shown);
  });

  it("counts the attempts", () => {
    expect(deadLetterRow(record({ attempts: [] }))[4]).toBe("0");
  });
});

describe("formatDeadLetterRows", () => {
  it("says so when there are none", () => {
    expect(formatDeadLetterRows([])).toBe("no dead letters\n");
  });

  it("fits each column to its widest cell, two spaces apart, under a header, and counts the rows", () => {
    const rows = [
      ["7", "crm", "evt-1", "HTTP 500", "2", "HTTP 500", "t1"],
      ["1234", "billing-feed", "-", "timeout", "10", "-", "t2"],
    ];
    expect(formatDeadLetterRows(rows)).toBe(
      [
        "ID    INTEGRATION   EVENT ID  REASON    ATTEMPTS  LAST      TIME",
        "7     crm           evt-1     HTTP 500  2         HTTP 500  t1",
        "1234  billing-feed  -         timeout   10        -         t2",
        "2 dead letters",
        "",
      ].join("\n"),
    );
  });

  it("leaves no spaces at a line's end, and says one dead letter", () => {
    const text = formatDeadLetterRows([["1", "a", "b", "c", "1", "d", ""]]);
    expect(text.split("\n").filter((line) => line !== line.trimEnd())).toEqual([]);
    expect(text.endsWith("\n1 dead letter\n")).toBe(true);
  });

  it("lists 200,000 rows without overflowing the stack", () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [
      String(i),
      "a",
      "b",
      "c",
      "1",
      "d",
      "t",
    ]);
    expect(formatDeadLetterRows(rows).endsWith("\n200000 dead letters\n")).toBe(true);
  });
});
