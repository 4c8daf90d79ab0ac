import type { ConsumerInfo } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { waitingLimitNotice } from "../../src/nats/delivery-consumer-guard.js";
import { capturingLogger } from "../support/logs.js";

/** The readings of a consumer with this limit, as NATS reports them (only what is read). */
const readings = (limit: number | undefined, waiting: number[]) =>
  waiting.map(
    (n) =>
      ({
        name: "hookswitch-deliveries",
        config: { max_ack_pending: limit },
        num_ack_pending: n,
      }) as unknown as ConsumerInfo,
  );

/** The waiting counts the notice warned at, reading them in order. */
function warnedAt(limit: number | undefined, waiting: number[]): number[] {
  const { log, lines } = capturingLogger("debug");
  const notice = waitingLimitNotice(log);
  for (const info of readings(limit, waiting)) notice(info);
  return lines.map((line) => line.waiting as number);
}

describe("waitingLimitNotice: warning when waiting retries near --max-waiting-retries", () => {
  it.each<[string, number | undefined, number[], number[]]>([
    ["never below 90%", 100, [0, 50, 89], []],
    ["once from 90% on", 100, [50, 90, 95, 100, 100], [90]],
    ["again after falling below 80%", 100, [90, 79, 90], [90, 90]],
    ["not again after falling only to 80%", 100, [95, 80, 95], [95]],
    ["again after each fall below 80%", 1000, [900, 100, 999, 799, 950], [900, 999, 950]],
    ["never with no limit", 0, [0, 500_000], []],
    ["never with the limit unset", undefined, [10, 500_000], []],
    ["never with the limit -1 (none)", -1, [10, 500_000], []],
  ])("warns %s", (_how, limit, waiting, warned) => {
    expect(warnedAt(limit, waiting)).toEqual(warned);
  });

  it.each([
    [90, "near"],
    [100, "at"],
    [120, "at"],
  ])("says %i of 100 is %s the limit, and what to do", (waiting, where) => {
    const { log, lines } = capturingLogger();
    waitingLimitNotice(log)(readings(100, [waiting])[0] as ConsumerInfo);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "warn",
      consumer: "hookswitch-deliveries",
      waiting,
      limit: 100,
    });
    expect(lines[0]?.msg).toBe(
      `${waiting} retries and replays wait in consumer hookswitch-deliveries, ${where} its limit ` +
        "of 100 (--max-waiting-retries): at the limit NATS hands out no other retry or replay, " +
        "due or not, of any integration, until some of those waiting come due; " +
        'hookswitch_deliveries_waiting{kind="retry"} names the integrations they wait for. ' +
        "Raise --max-waiting-retries (NATS keeps about 250 bytes of memory for each)",
    );
  });
});
