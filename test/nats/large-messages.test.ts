import { describe, expect, it } from "vitest";
import {
  largeMessageBytes,
  largeMessageWarning,
  LargeMessageWatch,
  maxInFlightFor,
} from "../../src/nats/large-messages.js";

const MIB = 1024 * 1024;

describe("large messages", () => {
  it.each([
    // batch, the size above which a full batch could pass 3/4 of 64 MiB
    [256, 196_608],
    [64, 786_432],
    [4, 12_582_912],
  ])(
    "with %i messages asked for at once, counts messages over %i bytes as large",
    (batch, bytes) => {
      expect(largeMessageBytes(batch)).toBe(bytes);
    },
  );

  it.each([
    // the message's size, the largest --max-in-flight for it
    [1024, 12_288],
    [200 * 1024, 61],
    [950_000, 13],
    [16 * MIB, 1],
    [64 * MIB, 1],
  ])("for messages of %i bytes suggests --max-in-flight %i", (bytes, maxInFlight) => {
    expect(maxInFlightFor(bytes)).toBe(maxInFlight);
    // Its pulls (4 messages per place) stay under 48 MiB, unless one message alone is larger.
    if (maxInFlight > 1) expect(4 * maxInFlight * bytes).toBeLessThanOrEqual(48 * MIB);
  });

  it("says which stream, how large, and what to change", () => {
    expect(largeMessageWarning({ stream: "PBX_EVENTS", bytes: 950_000, batch: 256 })).toBe(
      "a message of 928 KiB came from PBX_EVENTS: hookswitch asks for 256 messages at once, " +
        "and 256 this large pass nats-server's default max_pending (64 MB), past which it " +
        "disconnects hookswitch as a slow consumer. If such messages come in numbers, run with " +
        '--max-in-flight 13 or less, or raise max_pending in nats-server\'s configuration (operating.md, "Large events")',
    );
  });

  it("warns once, at the first message over the size, and not for smaller ones", () => {
    const warnings: number[] = [];
    const watch = new LargeMessageWatch({ stream: "PBX_EVENTS", batch: 256 }, (_, bytes) =>
      warnings.push(bytes),
    );
    for (const bytes of [1_000, 196_608, 196_609, 900_000, 500]) watch.check(bytes);
    expect(warnings).toEqual([196_609]);
  });
});
