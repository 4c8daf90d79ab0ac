import { JetStreamError } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { logLoopEnd } from "../../src/nats/loop-end.js";
import { capturingLogger } from "../support/logs.js";

describe("a consumer loop's end", () => {
  it.each([
    [new JetStreamError("heartbeats missed"), "warn", false],
    [new JetStreamError("bad request"), "error", true],
    [new TypeError("x is not a function"), "error", true],
  ])("after %s is logged at %s (stack kept: %s)", (err, level, stack) => {
    const { log, lines } = capturingLogger();
    logLoopEnd(log, "hookswitch_crm-park", err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level, consumer: "hookswitch_crm-park" });
    expect(JSON.stringify(lines[0]).includes("stack")).toBe(stack);
  });

  it("says which consumer stopped and that it is read again, for a NATS restart", () => {
    const { log, lines } = capturingLogger();
    logLoopEnd(log, "hookswitch_crm-park", new JetStreamError("heartbeats missed"));
    expect(lines[0]?.msg).toBe(
      "stopped reading consumer hookswitch_crm-park: heartbeats missed (NATS restarted or " +
        "not answering); it is read again once NATS answers",
    );
  });
});
