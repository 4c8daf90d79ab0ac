import { describe, expect, it } from "vitest";
import {
  consumeOptions,
  largestMessageBytes,
  pullBatch,
  pullSize,
  PULL_BYTES,
} from "../../src/nats/pull-size.js";

const KIB = 1024;
const MIB = 1024 * KIB;

describe("how much a loop asks nats-server for at once", () => {
  it.each([
    // --max-in-flight, messages at once
    [1, 4],
    [24, 96],
    [64, 256],
    [256, 256],
  ])("by count, with --max-in-flight %i asks for %i", (maxInFlight, batch) => {
    expect(pullBatch(maxInFlight)).toBe(batch);
  });

  it.each([
    // --max-in-flight, server version, max_payload, --max-event-size, the pull
    [256, "2.10.27", MIB, 64 * KIB, { bytes: PULL_BYTES }],
    [25, "2.11.0", MIB, 64 * KIB, { bytes: PULL_BYTES }],
    [24, "2.10.27", MIB, 64 * KIB, { messages: 96 }],
    [256, "2.9.10", MIB, 64 * KIB, { messages: 256 }],
    [8, "2.9.10", MIB, 64 * KIB, { messages: 32 }],
    [256, undefined, MIB, 64 * KIB, { messages: 256 }],
    // A pull must take the largest message the server allows, with its subjects.
    [256, "2.10.27", 32 * MIB, 64 * KIB, { bytes: 32 * MIB + 4_096 }],
    [256, "2.10.27", MIB, 960 * KIB, { bytes: PULL_BYTES }],
    // By count, no more of the largest events than a loop's share of max_pending holds.
    [256, "2.9.10", MIB, 960 * KIB, { messages: 22 }],
    [16, "2.10.27", MIB, 960 * KIB, { messages: 22 }],
    [4, "2.9.10", MIB, 960 * KIB, { messages: 16 }],
    [256, "2.9.10", MIB, 256 * KIB, { messages: 80 }],
    [256, "2.9.10", MIB, 240 * KIB, { messages: 85 }],
  ])(
    "with --max-in-flight %i on nats-server %s (max_payload %i, --max-event-size %i) pulls %j",
    (maxInFlight, serverVersion, maxPayload, maxEventBytes, size) => {
      const messageBytes = largestMessageBytes({ maxPayload, maxEventBytes });
      expect(pullSize({ maxInFlight, serverVersion, maxPayload, messageBytes })).toEqual(size);
    },
  );

  it.each([1, 4, 24, 256])(
    "by count with --max-in-flight %i, never asks for more than a third of max_pending at once",
    (maxInFlight) => {
      for (let kib = 1; kib <= 960; kib++) {
        const messageBytes = largestMessageBytes({ maxPayload: MIB, maxEventBytes: kib * KIB });
        const size = pullSize({
          maxInFlight,
          serverVersion: "2.9.10",
          maxPayload: MIB,
          messageBytes,
        });
        if (!("messages" in size))
          throw new Error(`a pull by bytes on 2.9: ${JSON.stringify(size)}`);
        expect(size.messages * messageBytes).toBeLessThanOrEqual(PULL_BYTES);
        expect(size.messages).toBeGreaterThanOrEqual(1);
      }
    },
  );

  it.each([
    // max_payload, --max-event-size, what the largest message (a record around an event) counts for
    [MIB, 64 * 1024, 80 * 1024],
    [MIB, 960 * 1024, 976 * 1024],
    [MIB, 4 * MIB, MIB + 4_096],
    [8 * MIB, 4 * MIB, 4 * MIB + 16 * 1024],
    [MIB, 1, 1 + 16 * 1024],
  ])(
    "the largest message, with max_payload %i and events up to %i bytes, counts for %i",
    (maxPayload, maxEventBytes, bytes) => {
      expect(largestMessageBytes({ maxPayload, maxEventBytes })).toBe(bytes);
    },
  );

  it("by bytes asks for a third of nats-server's default max_pending (64 MiB), so that three loops' pulls fit in it", () => {
    const messageBytes = largestMessageBytes({ maxPayload: MIB, maxEventBytes: 64 * KIB });
    const size = pullSize({
      maxInFlight: 256,
      serverVersion: "2.10.27",
      maxPayload: MIB,
      messageBytes,
    });
    expect(size).toEqual({ bytes: 22_369_621 });
  });

  it.each([
    [{ messages: 256 }, { max_messages: 256, threshold_messages: 64, expires: 3_000 }],
    [{ messages: 4 }, { max_messages: 4, threshold_messages: 1, expires: 3_000 }],
    [
      { bytes: 1_000_000 },
      {
        max_bytes: 1_000_000,
        threshold_bytes: 250_000,
        threshold_messages: 25,
        expires: 3_000,
        idle_heartbeat: 500,
      },
    ],
  ])("asks the client for %j as %j: more once a quarter is left", (size, options) => {
    expect(consumeOptions(size)).toEqual(options);
  });
});
