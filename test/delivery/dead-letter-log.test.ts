import { describe, expect, it } from "vitest";
import {
  createDeadLetterLog,
  dlqListCommand,
  type DeadLetterLine,
} from "../../src/delivery/dead-letter-log.js";
import { FULL_LINES_PER_INTERVAL } from "../../src/delivery/integration-lines.js";
import { capturingLogger } from "../support/logs.js";
import { waitFor } from "../support/wait.js";

const line = (integration: string, i: number): DeadLetterLine => ({
  integration,
  webhookId: `msg_${i}`,
  eventId: `event-${i}`,
  reason: "HTTP 410 is not retried",
});
const full = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => l.msg === "delivery dead-lettered");
const told = (lines: Record<string, unknown>[]) => lines.filter((l) => "notLogged" in l);

describe("the command the logs name to list dead letters", () => {
  it.each([
    ["crm", undefined, "`hookswitch dlq list --integration crm`"],
    ["crm", "hookswitch", "`hookswitch dlq list --integration crm`"],
    ["crm", "gitsync", "`hookswitch dlq list --consumer gitsync --integration crm`"],
    ["_invalid", "gitsync", "`hookswitch dlq list --consumer gitsync --integration _invalid`"],
  ])("for %s of --consumer %s is %s", (integration, consumer, command) => {
    expect(dlqListCommand(integration, consumer)).toBe(command);
  });
});

describe("the dead-letter log", () => {
  it("logs each integration's first ones in full and tells the count of the rest once the interval ends", async () => {
    const { log, lines } = capturingLogger("warn");
    const deadLetters = createDeadLetterLog(log, { perInterval: 2, intervalMs: 500 });
    for (let i = 0; i < 500; i++) deadLetters.deadLettered(line("gone", i));
    deadLetters.deadLettered(line("billing", 0));

    expect(full(lines).map((l) => [l.integration, l.webhookId, l.eventId, l.reason])).toEqual([
      ["gone", "msg_0", "event-0", "HTTP 410 is not retried"],
      ["gone", "msg_1", "event-1", "HTTP 410 is not retried"],
      ["billing", "msg_0", "event-0", "HTTP 410 is not retried"],
    ]);
    expect(told(lines)).toEqual([]);
    await waitFor(() => told(lines).length === 1, { timeoutMs: 5_000, what: "the count" });
    const [count] = told(lines);
    expect(count).toMatchObject({ level: "warn", integration: "gone", notLogged: 498 });
    expect(count!.msg).toBe(
      "498 more deliveries of gone dead-lettered without a line each (the first 2 every 1 s are logged): hookswitch_deliveries_total counts them all, and `hookswitch dlq list --integration gone` lists them",
    );
  });

  it("logs, as operating.md says, the first 10 of a minute of each integration in full", () => {
    const { log, lines } = capturingLogger("warn");
    let clock = 0;
    const deadLetters = createDeadLetterLog(log, { now: () => clock });
    const logged = (integration: string, at: number) => {
      clock = at;
      const before = full(lines).length;
      deadLetters.deadLettered(line(integration, at));
      return full(lines).length > before;
    };
    const gone = [...Array(11).keys(), 59_999, 60_000].map((at) => [at, logged("gone", at)]);
    expect(gone).toEqual([
      ...[...Array(10).keys()].map((at) => [at, true]),
      [10, false],
      [59_999, false],
      [60_000, true],
    ]);
    expect(logged("crm", 60_001)).toBe(true);
    deadLetters.flush();
  });

  it("tells what it counted at once when flushed (the daemon stops), and nothing when it counted none", () => {
    const { log, lines } = capturingLogger("warn");
    const deadLetters = createDeadLetterLog(log, { now: () => 0 });
    deadLetters.flush();
    expect(lines).toEqual([]);
    for (let i = 0; i <= FULL_LINES_PER_INTERVAL; i++) deadLetters.deadLettered(line("gone", i));
    deadLetters.flush();
    expect(full(lines)).toHaveLength(FULL_LINES_PER_INTERVAL);
    expect(told(lines)).toMatchObject([{ integration: "gone", notLogged: 1 }]);
    expect(told(lines)[0]!.msg).toMatch(
      /^1 more delivery of gone dead-lettered without a line each/,
    );
    deadLetters.flush();
    expect(told(lines)).toHaveLength(1);
  });

  it("forgets an integration, telling its count first, and logs it in full again if it comes back", () => {
    const { log, lines } = capturingLogger("warn");
    const deadLetters = createDeadLetterLog(log, { perInterval: 1, now: () => 0 });
    deadLetters.deadLettered(line("gone", 0));
    deadLetters.deadLettered(line("gone", 1));
    deadLetters.forget("gone");
    expect(told(lines)).toMatchObject([{ integration: "gone", notLogged: 1 }]);
    deadLetters.forget("never-seen");
    deadLetters.deadLettered(line("gone", 2));
    expect(full(lines).map((l) => l.webhookId)).toEqual(["msg_0", "msg_2"]);
    deadLetters.flush();
    expect(told(lines)).toHaveLength(1);
  });
});
