import { describe, expect, it } from "vitest";
import {
  retriesOf,
  totalWaiting,
  waitingByIntegration,
  type WaitingCounts,
} from "../../src/delivery/waiting-counts.js";

interface Case {
  subjects: Record<string, number>;
  expected: Record<string, WaitingCounts>;
}

describe("waitingByIntegration", () => {
  it.each<Case>([
    { subjects: {}, expected: {} },
    {
      subjects: { "hookswitch.deliveries.hookswitch.crm": 3 },
      expected: { crm: { retry: 3, parked: 0 } },
    },
    {
      subjects: {
        "hookswitch.parked.hookswitch.crm": 5,
        "hookswitch.deliveries.hookswitch.crm": 2,
      },
      expected: { crm: { retry: 2, parked: 5 } },
    },
    {
      subjects: {
        "hookswitch.parked.hookswitch.crm": 1,
        "hookswitch.parked.hookswitch.billing": 7,
      },
      expected: { crm: { retry: 0, parked: 1 }, billing: { retry: 0, parked: 7 } },
    },
    {
      // Subjects of no kind it knows, and empty counts, are left out.
      subjects: { "hookswitch.dlq.crm": 4, "hookswitch.parked.hookswitch.crm": 0 },
      expected: {},
    },
  ])("reads $subjects", ({ subjects, expected }) => {
    expect(Object.fromEntries(waitingByIntegration(subjects))).toEqual(expected);
  });
});

describe("totalWaiting", () => {
  it("adds every integration's retries and parked deliveries", () => {
    const counts = waitingByIntegration({
      "hookswitch.deliveries.hookswitch.crm": 2,
      "hookswitch.parked.hookswitch.crm": 5,
      "hookswitch.parked.hookswitch.billing": 7,
    });
    expect(totalWaiting(counts)).toBe(14);
    expect(totalWaiting(new Map())).toBe(0);
  });
});

describe("retriesOf", () => {
  it("adds every integration's retries, leaving parked deliveries out", () => {
    const counts = waitingByIntegration({
      "hookswitch.deliveries.hookswitch.crm": 2,
      "hookswitch.deliveries.hookswitch.billing": 3,
      "hookswitch.parked.hookswitch.crm": 5,
      "hookswitch.parked.hookswitch.erp": 7,
    });
    expect(retriesOf(counts)).toBe(5);
    expect(retriesOf(new Map())).toBe(0);
  });
});
