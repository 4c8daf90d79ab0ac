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
    // batch, the size above which a full batch could pass a third of 64 MiB
    [256, 87_381],
    [64, 349_525],
    [4, 5_592_405],
  ])(
    "with %i messages asked for at once, counts messages over %i bytes as large",
    (batch, bytes) => {
      expect(largeMessageBytes(batch)).toBe(bytes);
    },
  );

  it.each([
    // the message's size, the largest --max-in-flight for it
    [1024, 5_461],
    [200 * 1024, 27],
    [950_000, 5],
    [16 * MIB, 1],
    [64 * MIB, 1],
  ])("for messages of %i bytes suggests --max-in-flight %i", (bytes, maxInFlight) => {
    expect(maxInFlightFor(bytes)).toBe(maxInFlight);
    // Its pulls (4 messages per place) stay within a third of 64 MiB, unless one message alone is larger.
    if (maxInFlight > 1) expect(4 * maxInFlight * bytes).toBeLessThanOrEqual((64 * MIB) / 3);
  });

  it("says which stream, how large, and what to change", () => {
    expect(largeMessageWarning({ stream: "PBX_EVENTS", bytes: 950_000, batch: 256 })).toBe(
      "a message of 928 KiB came from PBX_EVENTS: hookswitch asks for 256 messages at once, " +
        "and with both of its consumers reading 256 this large, nats-server's queue for the " +
        "connection can pass its default max_pending (64 MiB), past which it disconnects " +
        "hookswitch as a slow consumer. If such messages come in numbers, raise max_pending in " +
        "nats-server's configuration, or run with --max-in-flight 5 or less; from nats-server 2.10 on, with --max-in-flight 25 or " +
        'more, hookswitch bounds its pulls by bytes instead (operating.md, "Large events")',
    );
  });

  it.each([
    [256, [1_000, 87_381, 87_382, 900_000, 500], [87_382]],
    [4, [87_382, 5_592_405, 5_592_406, 9_000_000], [5_592_406]],
  ])("asking for %i at once, of messages %j warns for %j", (batch, sizes, warned) => {
    const warnings: number[] = [];
    const watch = new LargeMessageWatch({ stream: "PBX_EVENTS", batch }, (_, bytes) =>
      warnings.push(bytes),
    );
    for (const bytes of sizes) watch.check(bytes);
    expect(warnings).toEqual(warned);
  });

  it("warns once, at the first message over the size, and not for smaller ones", () => {
    const warnings: number[] = [];
    const watch = new LargeMessageWatch({ stream: "PBX_EVENTS", batch: 256 }, (_, bytes) =>
      warnings.push(bytes),
    );
    for (const bytes of [1_000, 87_381, 87_382, 900_000, 500]) watch.check(bytes);
    expect(warnings).toEqual([87_382]);
  });
});
