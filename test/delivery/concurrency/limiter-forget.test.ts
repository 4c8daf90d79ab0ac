import { describe, expect, it } from "vitest";
import { createLimiter } from "../../../src/delivery/concurrency/limiter.js";

describe("forgetting a removed integration in the limiter", () => {
  const T = 1_000; // a fixed clock: the limiter never reads the time itself

  it("drops an idle integration's record, and keeps the others'", () => {
    const limiter = createLimiter();
    for (const name of ["gone", "crm"]) {
      expect(limiter.acquire(name, 2, T)).toBe(true);
      limiter.observe(name, 30, T);
      limiter.release(name);
    }
    expect(limiter.acquire("crm", 2, T)).toBe(true);
    limiter.forget("gone");
    limiter.forget("crm"); // a slot in flight: kept
    limiter.forget("never-seen");
    expect([...limiter.integrations()]).toEqual(["crm"]);
  });

  it("keeps an integration with a slot in flight, whose release still works", () => {
    const limiter = createLimiter();
    expect(limiter.acquire("busy", 1, T)).toBe(true);
    limiter.forget("busy");
    expect(limiter.inFlight("busy")).toBe(1);
    expect(() => limiter.release("busy")).not.toThrow();
    expect(limiter.inFlight("busy")).toBe(0);
    limiter.forget("busy"); // asked again once idle: gone
    expect([...limiter.integrations()]).toEqual([]);
  });

  it("keeps an integration with work in line, which still gets the slot", async () => {
    const limiter = createLimiter();
    expect(limiter.acquire("busy", 1, T)).toBe(true);
    const waiting = limiter.acquire("busy", 1, T);
    expect(waiting).toBeInstanceOf(Promise);
    limiter.forget("busy");
    limiter.release("busy"); // the slot passes to the line
    await expect(waiting).resolves.toBe(true);
    expect(limiter.inFlight("busy")).toBe(1);
  });

  it("keeps work in line with no slot in flight, which is still told to park", async () => {
    const limiter = createLimiter({ maxLineWaitMs: 20 });
    const waiting = limiter.acquire("queued", 0, T); // a cap of 0: in line with none in flight
    expect(waiting).toBeInstanceOf(Promise);
    limiter.forget("queued");
    expect([...limiter.integrations()]).toEqual(["queued"]);
    await expect(waiting).resolves.toBe(false);
  });

  it("keeps an integration whose parked work waits for room, which is still woken", async () => {
    const limiter = createLimiter();
    const room = limiter.whenRoom("unloaded", 0); // no room until the caps change
    expect(room).toBeInstanceOf(Promise);
    limiter.forget("unloaded");
    expect([...limiter.integrations()]).toEqual(["unloaded"]);
    limiter.capsChanged();
    await expect(room).resolves.toBeUndefined();
  });

  it("starts afresh for a name used again after it was forgotten", () => {
    const limiter = createLimiter();
    // Turns at the assumed 20 ms an attempt: each call hands out the next.
    expect([limiter.nextTurnMs("again", 1, T), limiter.nextTurnMs("again", 1, T)]).toEqual([
      20, 40,
    ]);
    limiter.forget("again");
    expect(limiter.nextTurnMs("again", 1, T)).toBe(20);
    expect(limiter.acquire("again", 1, T)).toBe(true);
    expect(limiter.inFlight("again")).toBe(1);
    limiter.release("again");
  });
});
