import { describe, expect, it } from "vitest";
import { firstUnacknowledged } from "../../src/nats/consumer-start.js";

describe("firstUnacknowledged: where a consumer created again starts", () => {
  it.each([
    ["a consumer that acknowledged everything it was given", 9, 9, 0, 10],
    ["one with events waiting for an acknowledgement", 5, 9, 2, 6],
    ["one created at the end of a stream that was given nothing (--deliver new)", 0, 100, 0, 101],
    ["one on an empty stream", 0, 0, 0, 1],
    ["one whose floor is past what it reports given", 12, 9, 0, 13],
  ])("%s", (_title, floor, delivered, pending, expected) => {
    const info = {
      ack_floor: { stream_seq: floor, consumer_seq: 0 },
      delivered: { stream_seq: delivered, consumer_seq: 0 },
      num_ack_pending: pending,
    };
    expect(firstUnacknowledged(info)).toBe(expected);
  });
});
