import { AckPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import {
  describeDrift,
  guardConsumer,
  MAX_RESTORES,
  RESTORE_WINDOW_MS,
  RestoreBudget,
} from "../../src/nats/consumer-guard.js";
import type { DurableConsumerConfig } from "../../src/nats/durable-consumers.js";
import { capturingLogger, type LogLine } from "../support/logs.js";
import { useNatsWithClient } from "../support/nats-server.js";

let jsm: JetStreamManager;

useNatsWithClient("consumer-guard-test", (started) => ({ jsm } = started));

describe("a setting changed on the consumer, as the warning words it", () => {
  it.each<[string, string, unknown, unknown, string]>([
    [
      "a duration, in seconds",
      "ack_wait",
      nanos(2_000),
      nanos(30_000),
      "ack_wait is 2s where it sets 30s",
    ],
    [
      "a filter taken away",
      "filter_subject",
      "pbx.>",
      undefined,
      "filter_subject is pbx.> where it sets (none)",
    ],
    [
      "an empty filter, as none",
      "filter_subject",
      "",
      "pbx.>",
      "filter_subject is (none) where it sets pbx.>",
    ],
    ["a limit of 0, as none", "max_batch", 10, 0, "max_batch is 10 where it sets (none)"],
    [
      "a duration of 0, as none",
      "max_expires",
      0,
      nanos(5_000),
      "max_expires is (none) where it sets 5s",
    ],
    ["a 0 that is a value", "max_deliver", 0, -1, "max_deliver is 0 where it sets -1"],
    ["a flag", "headers_only", true, false, "headers_only is true where it sets false"],
    ["an absent value", "max_waiting", null, 512, "max_waiting is (none) where it sets 512"],
  ])("%s", (_what, field, from, to, expected) => {
    expect(describeDrift({ field, from, to })).toBe(expected);
  });
});

describe("the consumer guard's budget of restores", () => {
  const minute = 60_000;

  it.each<[string, number[], number, boolean]>([
    ["none yet", [], 0, false],
    ["fewer than the most", [0, minute], 2 * minute, false],
    ["the most within the window", [0, minute, 2 * minute], 3 * minute, true],
    // The window slides: the first restore has left it.
    ["the most, the first gone from the window", [0, minute, 2 * minute], RESTORE_WINDOW_MS, false],
  ])("with %s is spent: %s", (_what, restores, at, spent) => {
    let now = 0;
    const budget = new RestoreBudget(() => now);
    for (const t of restores) {
      now = t;
      budget.spend();
    }
    now = at;
    expect(budget.spent()).toBe(spent);
  });

  it("is told once per spell of being spent, and again after a spell ends", () => {
    let now = 0;
    const budget = new RestoreBudget(() => now);
    for (let i = 0; i < MAX_RESTORES; i++) budget.spend();
    expect(budget.spent()).toBe(true);
    expect([budget.tell(), budget.tell()]).toEqual([true, false]);
    now = RESTORE_WINDOW_MS;
    expect(budget.spent()).toBe(false);
    for (let i = 0; i < MAX_RESTORES; i++) budget.spend();
    expect(budget.spent()).toBe(true);
    expect(budget.tell()).toBe(true);
  });
});

describe("the consumer guard, on a consumer whose ack wait an operator changed", () => {
  let streams = 0;

  /** A stream and the consumer "c" as hookswitch wants it (30 s ack wait), and a guard of it. */
  async function guarded(options: { recovering?: boolean } = {}) {
    const stream = `GUARD${++streams}`;
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    const wanted: DurableConsumerConfig = {
      durable_name: "c",
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
    };
    await jsm.consumers.add(stream, wanted);
    const { log, lines } = capturingLogger();
    const guard = guardConsumer({
      jsm,
      stream,
      log,
      recovering: () => options.recovering ?? false,
      recreate: () => Promise.reject(new Error("no filter changed: nothing to create again")),
      now: () => 0,
    });
    const ackWaitSeconds = async () =>
      ((await jsm.consumers.info(stream, "c")).config.ack_wait ?? 0) / 1e9;
    return {
      lines,
      ackWaitSeconds,
      /** The operator's edit, then the guard's next reading. */
      changeThenCheck: async (seconds?: number) => {
        if (seconds !== undefined)
          await jsm.consumers.update(stream, "c", { ack_wait: nanos(seconds * 1_000) });
        await guard.check(await jsm.consumers.info(stream, "c"), wanted);
      },
    };
  }

  const said = (lines: LogLine[], level: string, text: string) =>
    lines.filter((line) => line.level === level && String(line.msg).includes(text)).length;
  const [INFO, WARN, ERROR] = ["info", "warn", "error"];

  it("puts it back at most MAX_RESTORES times in the window, then leaves it and says so once", async () => {
    const { lines, ackWaitSeconds, changeThenCheck } = await guarded();
    for (let i = 1; i <= MAX_RESTORES; i++) {
      await changeThenCheck(i);
      expect(await ackWaitSeconds()).toBe(30);
    }
    await changeThenCheck(MAX_RESTORES + 1);
    await changeThenCheck();
    expect(await ackWaitSeconds()).toBe(MAX_RESTORES + 1);
    expect(said(lines, INFO, "settings put back")).toBe(MAX_RESTORES);
    expect(said(lines, ERROR, "")).toBe(1);
  });

  it("says once that it put a change back, however often the same change comes before a reading finds none", async () => {
    const { lines, ackWaitSeconds, changeThenCheck } = await guarded();
    await changeThenCheck(10);
    await changeThenCheck(10);
    expect(await ackWaitSeconds()).toBe(30);
    expect([
      said(lines, WARN, "is not as this hookswitch sets it"),
      said(lines, INFO, "settings put back"),
    ]).toEqual([1, 1]);
  });

  it("says again that it put a change back when the change comes anew after a reading found none", async () => {
    const { lines, changeThenCheck } = await guarded();
    await changeThenCheck(10);
    await changeThenCheck();
    await changeThenCheck(10);
    expect([
      said(lines, WARN, "is not as this hookswitch sets it"),
      said(lines, INFO, "settings put back"),
    ]).toEqual([2, 2]);
  });

  it("leaves the consumer to a recovery that is setting it up", async () => {
    const { lines, ackWaitSeconds, changeThenCheck } = await guarded({ recovering: true });
    await changeThenCheck(10);
    expect(await ackWaitSeconds()).toBe(10);
    expect(lines).toEqual([]);
  });
});
