import { describe, expect, it } from "vitest";
import {
  createInvalidEventLog,
  FULL_LINES_PER_INTERVAL,
  INVALID_LOG_INTERVAL_MS,
} from "../../src/delivery/invalid-log.js";
import { capturingLogger } from "../support/logs.js";
import { sleep, waitFor } from "../support/wait.js";

describe("the invalid-event log", () => {
  const full = (lines: Record<string, unknown>[]) =>
    lines.filter((line) => line.msg === "invalid event dead-lettered");
  const told = (lines: Record<string, unknown>[]) => lines.filter((line) => "notLogged" in line);

  it("logs the first ones in full and tells the count of the rest once the interval ends", async () => {
    const { log, lines } = capturingLogger("warn");
    const invalid = createInvalidEventLog(log, { perInterval: 3, intervalMs: 1_000 });
    for (let i = 0; i < 1_000; i++) invalid.invalid(`pbx.acme.x.${i}`, `reason ${i}`);

    expect(full(lines).map((line) => [line.level, line.subject, line.reason])).toEqual([
      ["warn", "pbx.acme.x.0", "reason 0"],
      ["warn", "pbx.acme.x.1", "reason 1"],
      ["warn", "pbx.acme.x.2", "reason 2"],
    ]);
    expect(told(lines)).toEqual([]);
    await waitFor(() => told(lines).length === 1, { timeoutMs: 5_000, what: "the count" });
    const [count] = told(lines);
    expect(count).toMatchObject({ level: "warn", notLogged: 997 });
    expect(count!.msg).toMatch(
      /^997 more invalid events were dead-lettered without a line each \(the first 3 every 1 s are logged\): hookswitch_events_invalid_total counts them all, and `hookswitch dlq list --integration _invalid` lists them$/,
    );
    expect(lines).toHaveLength(4);
  });

  it("names the deployment's --consumer in the command that lists them", async () => {
    const { log, lines } = capturingLogger("warn");
    const invalid = createInvalidEventLog(log, {
      perInterval: 1,
      intervalMs: 200,
      consumer: "gitsync",
    });
    invalid.invalid("pbx.acme.x.0", "reason 0");
    invalid.invalid("pbx.acme.x.1", "reason 1");
    await waitFor(() => told(lines).length === 1, { timeoutMs: 5_000, what: "the count" });
    expect(told(lines)[0]!.msg).toContain(
      "`hookswitch dlq list --consumer gitsync --integration _invalid` lists them",
    );
  });

  it("logs, as operating.md says, the first 10 of a minute in full", () => {
    const { log, lines } = capturingLogger("warn");
    let clock = 0;
    const invalid = createInvalidEventLog(log, { now: () => clock });
    const take = (at: number) => {
      clock = at;
      const before = full(lines).length;
      invalid.invalid("pbx.acme.x", "bad");
      return full(lines).length > before;
    };
    const steps = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 59_999, 60_000].map((at) => [at, take(at)]);
    expect(steps).toEqual([
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((at) => [at, true]),
      [10, false],
      [59_999, false],
      [60_000, true],
    ]);
    invalid.flush();
  });

  it("tells the count when the interval ends, timed from its first event on its own clock", async () => {
    const { log, lines } = capturingLogger("warn");
    // A clock far from the process's: the count waits for the interval, not for the clock's value.
    const invalid = createInvalidEventLog(log, { perInterval: 1, intervalMs: 500, now: () => 1e6 });
    invalid.invalid("pbx.acme.x", "bad");
    invalid.invalid("pbx.acme.x", "bad");
    await sleep(20);
    expect(told(lines)).toEqual([]);
    await waitFor(() => told(lines).length === 1, { timeoutMs: 5_000, what: "the count" });
    expect(told(lines)).toMatchObject([{ notLogged: 1 }]);
  });

  it("tells what it counted at once when flushed (the daemon stops), and nothing when it counted none", () => {
    const { log, lines } = capturingLogger("warn");
    const invalid = createInvalidEventLog(log, { now: () => 0 });
    invalid.flush();
    expect(lines).toEqual([]);
    for (let i = 0; i < FULL_LINES_PER_INTERVAL + 1; i++) invalid.invalid("pbx.acme.x", "bad");
    invalid.flush();
    expect(full(lines)).toHaveLength(FULL_LINES_PER_INTERVAL);
    expect(told(lines)).toMatchObject([{ notLogged: 1 }]);
    expect(told(lines)[0]!.msg).toMatch(
      new RegExp(
        `^1 more invalid event was dead-lettered without a line each \\(the first ${FULL_LINES_PER_INTERVAL} every ${INVALID_LOG_INTERVAL_MS / 1000} s are logged\\)`,
      ),
    );
    invalid.flush();
    expect(told(lines)).toHaveLength(1);
  });
});
