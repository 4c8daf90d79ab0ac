import { describe, expect, it } from "vitest";
import { OneAtATime, oversizedDeadLetter } from "../../src/delivery/oversized.js";
import { buildSampleEvent } from "../../src/events/sample.js";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("events larger than --max-event-size", () => {
  it("keep the whole event, parsed, with the size and what to do", () => {
    const event = buildSampleEvent(
      {
        type: "user.created",
        account: "acme",
        serviceType: "mycloudpbx",
        serviceUuid: "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11",
        extension: "201",
        name: "A".repeat(70_000),
      },
      { id: "big-1", time: "2026-12-01T00:00:00Z" },
    );
    const data = bytes(event);
    const kept = oversizedDeadLetter(data, 64 * 1024);
    expect(kept.event).toEqual(event);
    expect(kept.why.reason).toBe(
      `event of ${data.byteLength} bytes is larger than --max-event-size (64 KiB): not delivered; ` +
        "to deliver events this large, raise --max-event-size (and the replica's memory: see the " +
        "operating guide), then replay it with `hookswitch dlq replay`",
    );
    expect(kept.why.what).toBe("event larger than --max-event-size");
    // The log line says what to do too, as it did before reasons were typed.
    expect(kept.why.detail).toBe(kept.why.reason);
  });

  it("say so beside why an invalid one is invalid", () => {
    const data = bytes({ not: "an event", padding: "x".repeat(2_000) });
    const kept = oversizedDeadLetter(data, 1024);
    expect(kept.why.reason).toMatch(
      new RegExp(
        `^invalid event: event of ${data.byteLength} bytes is larger than --max-event-size \\(1 KiB\\), and `,
      ),
    );
    expect(kept.why.what).toBe("invalid event");
    expect(kept.why.reason).toBe(`invalid event: ${kept.why.detail}`);
    expect(kept.event).toEqual({ not: "an event", padding: "x".repeat(2_000) });
  });
});

describe("one at a time", () => {
  it("runs each task only once the one before has ended, in order, failures included", async () => {
    const lane = new OneAtATime();
    const log: string[] = [];
    let running = 0;
    const task =
      (name: string, fail = false) =>
      async () => {
        running++;
        expect(running).toBe(1);
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${name}`);
        running--;
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      lane.run(task("a")),
      lane.run(task("b", true)),
      lane.run(task("c")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });
});
