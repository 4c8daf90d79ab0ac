import { describe, expect, it } from "vitest";
import { StoreFailedError } from "../../src/nats/store-failure.js";
import { createStoreFailureLog } from "../../src/nats/store-failure-log.js";
import { JetStreamRefusalError } from "../../src/nats/stored-publish.js";
import { capturingLogger } from "../support/logs.js";

const full = (stream: string) =>
  new StoreFailedError(stream, {
    cause: new JetStreamRefusalError("JetStream refused the message: insufficient resources"),
  });

describe("the store-failure log", () => {
  it("logs each stream's first hand-backs of an interval in full, without a stack, and counts the rest", () => {
    const { log, lines } = capturingLogger("info");
    let clock = 0;
    const failures = createStoreFailureLog(log, {
      perInterval: 3,
      intervalMs: 1_000,
      now: () => clock,
    });
    for (let seq = 1; seq <= 1_000; seq++) {
      failures.handedBack(full("HOOKSWITCH_DELIVERIES"), { consumer: "hookswitch", seq });
    }
    failures.handedBack(full("HOOKSWITCH_DLQ"), { consumer: "hookswitch", seq: 1_001 });
    clock = 1_000;
    failures.handedBack(full("HOOKSWITCH_DELIVERIES"), { consumer: "hookswitch", seq: 1_002 });
    failures.flush();

    const inFull = lines.filter((l) => "seq" in l);
    expect(inFull.map((l) => [l.level, l.stream, l.seq])).toEqual([
      ["error", "HOOKSWITCH_DELIVERIES", 1],
      ["error", "HOOKSWITCH_DELIVERIES", 2],
      ["error", "HOOKSWITCH_DELIVERIES", 3],
      ["error", "HOOKSWITCH_DLQ", 1_001],
      ["error", "HOOKSWITCH_DELIVERIES", 1_002],
    ]);
    for (const line of inFull) expect(line).not.toHaveProperty("err");
    expect(inFull[0]).toMatchObject({
      consumer: "hookswitch",
      reason: "JetStream refused the message: insufficient resources",
    });
    expect(inFull[0]!.msg).toMatch(
      /^message handed back to come again: stream HOOKSWITCH_DELIVERIES did not store a record: JetStream refused the message: insufficient resources; JetStream is out of storage .* free space on the NATS server/,
    );
    const counted = lines.filter((l) => "notLogged" in l);
    expect(counted).toMatchObject([
      { level: "error", stream: "HOOKSWITCH_DELIVERIES", notLogged: 997 },
    ]);
    expect(counted[0]!.msg).toMatch(
      /^997 more messages handed back in 1 s because stream HOOKSWITCH_DELIVERIES did not store their records \(the first 3 of each 1 s are logged in full\); JetStream is out of storage/,
    );
  });

  it("tells the count as the interval ends, without waiting for the next hand-back", async () => {
    const { log, lines } = capturingLogger("info");
    const failures = createStoreFailureLog(log, { perInterval: 1, intervalMs: 200 });
    for (let seq = 1; seq <= 5; seq++) {
      failures.handedBack(full("HOOKSWITCH_DLQ"), { consumer: "hookswitch", seq });
    }
    await new Promise((r) => setTimeout(r, 400));
    expect(lines.filter((l) => "notLogged" in l)).toMatchObject([
      { stream: "HOOKSWITCH_DLQ", notLogged: 4 },
    ]);
  });
});
