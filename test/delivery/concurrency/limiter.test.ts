import { describe, expect, it } from "vitest";
import { createLimiter, LimiterError } from "../../../src/delivery/concurrency/limiter.js";

describe("per-integration slots", () => {
  const T = 1_000;
  /** A slot taken at once (not a place in a line, not a refusal). */
  const takenAtOnce = (slot: boolean | Promise<boolean>) => slot === true;

  it("grants up to keyMax slots per key at once, and no more", () => {
    const limiter = createLimiter();
    expect([1, 2, 3].map(() => takenAtOnce(limiter.acquire("slow", 2, T)))).toEqual([
      true,
      true,
      false,
    ]);
    expect(limiter.inFlight("slow")).toBe(2);
  });

  it("keeps integrations apart: a full one does not stop another", () => {
    const limiter = createLimiter();
    expect(limiter.acquire("slow", 1, T)).toBe(true);
    expect(takenAtOnce(limiter.acquire("slow", 1, T))).toBe(false);
    expect(limiter.acquire("fast", 1, T)).toBe(true);
    expect(limiter.inFlight("fast")).toBe(1);
    expect(limiter.inFlight("unknown")).toBe(0);
  });

  it("frees a slot on release", () => {
    const limiter = createLimiter();
    expect(limiter.acquire("a", 1, T)).toBe(true);
    limiter.release("a");
    expect(limiter.inFlight("a")).toBe(0);
    expect(limiter.acquire("a", 1, T)).toBe(true);
  });

  it("honours a lowered cap at once (config reload shrinking maxInFlight)", () => {
    const limiter = createLimiter();
    expect(limiter.acquire("a", 4, T)).toBe(true);
    expect(limiter.acquire("a", 4, T)).toBe(true);
    expect(takenAtOnce(limiter.acquire("a", 2, T))).toBe(false);
    limiter.release("a"); // hands the slot to the one waiting: still 2, the new cap
    expect(limiter.inFlight("a")).toBe(2);
    expect(takenAtOnce(limiter.acquire("a", 2, T))).toBe(false);
  });

  it("rejects a release without an acquire instead of silently raising the cap", () => {
    const limiter = createLimiter();
    expect(() => limiter.release("a")).toThrow(LimiterError);
  });
});

describe("per-integration lines", () => {
  const T = 1_000; // a fixed clock: the limiter never reads the time itself

  it("tells work to park once it waited maxLineWaitMs in a line that did not move", async () => {
    const limiter = createLimiter({ maxLineWaitMs: 50 });
    expect(limiter.acquire("hung", 1, T)).toBe(true); // its request never answers
    const started = performance.now();
    const waits = [limiter.acquire("hung", 1, T), limiter.acquire("hung", 1, T)];
    expect(waits.every((w) => w instanceof Promise)).toBe(true);
    expect(await Promise.all(waits as Promise<boolean>[])).toEqual([false, false]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(limiter.inFlight("hung")).toBe(1); // told to park, they took nothing
    limiter.release("hung");
    expect(limiter.inFlight("hung")).toBe(0);
  });

  it("hands the slot over to work that came in time, and parks only what waited too long", async () => {
    const limiter = createLimiter({ maxLineWaitMs: 200 });
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    const early = limiter.acquire("crm", 1, T);
    limiter.release("crm");
    expect(await early).toBe(true);
    const late = limiter.acquire("crm", 1, T);
    expect(await late).toBe(false);
    expect(limiter.inFlight("crm")).toBe(1);
  });

  it("hands a slot to the next in line on release, first come, first served", async () => {
    const limiter = createLimiter();
    limiter.observe("crm", 1, T); // fast: waiting is plain back-pressure
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    const order: string[] = [];
    const first = limiter.acquire("crm", 1, T);
    const second = limiter.acquire("crm", 1, T);
    expect(first).toBeInstanceOf(Promise);
    void (first as Promise<boolean>).then(() => order.push("first"));
    void (second as Promise<boolean>).then(() => order.push("second"));
    limiter.release("crm");
    await Promise.resolve();
    expect(order).toEqual(["first"]);
    expect(limiter.inFlight("crm")).toBe(1);
    limiter.release("crm");
    await Promise.resolve();
    expect(order).toEqual(["first", "second"]);
    limiter.release("crm");
    expect(limiter.inFlight("crm")).toBe(0);
  });

  it.each([
    // [attempt duration ms, ms saturated without an answer, keyMax, how many may wait]
    [1, 0, 4, 4_096], // fast: only the hard cap (callers' own caps bound it first)
    [undefined, 0, 4, 4_096], // never answered, not stalled yet: fast until proven slow
    [50, 0, 4, 2], // slow: 25 ms of work
    [25, 0, 4, 4], // twice as slow as its peer and 20 ms more: 25 ms of work
    [20, 0, 4, 4_096], // 15 ms more than its peer is still in step
    [1_000, 0, 4, 0], // a slow integration's excess goes elsewhere at once
    [1, 1_500, 4, 100], // fast on average but stalled now: judged by time again
    [1, 500, 4, 4_096], // a pause shorter than a busy event loop's is no stall
  ])(
    "with attempts of %s ms, saturated for %i ms, and a cap of %i, lets %i wait",
    (duration, stalledFor, keyMax, room) => {
      const limiter = createLimiter();
      for (let i = 0; i < 8; i++) limiter.observe("peer", 5, T - 1); // another integration, 5 ms
      // Past the warm-up: the average counts from the eighth attempt on.
      if (duration !== undefined)
        for (let i = 0; i < 8; i++) limiter.observe("crm", duration, T - 1);
      for (let i = 0; i < keyMax; i++) expect(limiter.acquire("crm", keyMax, T)).toBe(true);
      const now = T + stalledFor;
      for (let i = 0; i < room; i++) {
        expect(limiter.acquire("crm", keyMax, now)).toBeInstanceOf(Promise);
      }
      expect(limiter.acquire("crm", keyMax, now)).toBe(false);
      expect(limiter.acquire("billing", keyMax, now)).toBe(true);
    },
  );

  it("judges an integration that never answers as stalled after a second", () => {
    const limiter = createLimiter();
    expect(limiter.acquire("hung", 1, T)).toBe(true);
    expect(limiter.acquire("hung", 1, T + 500)).toBeInstanceOf(Promise);
    // 25 ms of work at an assumed 20 ms per attempt: one may wait, and one does already.
    expect(limiter.acquire("hung", 1, T + 1_500)).toBe(false);
  });

  it("never judges a lone integration slow by its durations: there is nobody to protect", () => {
    const limiter = createLimiter();
    for (let i = 0; i < 20; i++) limiter.observe("crm", 1_000, T);
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    expect(limiter.acquire("crm", 1, T)).toBeInstanceOf(Promise);
  });

  it("does not judge by the first attempts of a burst", () => {
    const limiter = createLimiter();
    for (let i = 0; i < 7; i++) limiter.observe("crm", 400, T); // connecting, busy loop
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    expect(limiter.acquire("crm", 1, T)).toBeInstanceOf(Promise);
  });

  it("follows a receiver that slows down within a few attempts", () => {
    const limiter = createLimiter();
    for (let i = 0; i < 8; i++) limiter.observe("peer", 5, T);
    for (let i = 0; i < 8; i++) limiter.observe("crm", 5, T);
    for (let i = 0; i < 10; i++) limiter.observe("crm", 500, T);
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    expect(limiter.acquire("crm", 1, T)).toBe(false);
  });

  it("never judges an integration slow against a figure of its own from before a burst", () => {
    const limiter = createLimiter();
    for (let i = 0; i < 8; i++) limiter.observe("fast", 0.3, T);
    for (let i = 0; i < 8; i++) limiter.observe("slow", 50, T);
    expect(limiter.acquire("slow", 1, T)).toBe(true);
    expect(limiter.acquire("slow", 1, T)).toBe(false); // judged against "fast", at 0.3 ms
    // Within the same second, a busy event loop lengthens every attempt of "fast".
    for (let i = 0; i < 20; i++) limiter.observe("fast", 28, T + 100);
    expect(limiter.acquire("fast", 1, T + 200)).toBe(true);
    expect(limiter.acquire("fast", 1, T + 200)).toBeInstanceOf(Promise);
  });

  it("tells a slow receiver apart as soon as the others' first attempts are behind them", () => {
    const limiter = createLimiter();
    // The start of a burst: connections open while the event loop is busy parsing.
    for (let i = 0; i < 8; i++) limiter.observe("fast", 30, T);
    for (let i = 0; i < 8; i++) limiter.observe("slow", 55, T);
    expect(limiter.acquire("slow", 1, T)).toBe(true);
    expect(limiter.acquire("slow", 1, T)).toBeInstanceOf(Promise); // 55 ms is in step with 30
    // A tenth of a second later "fast" has settled at 5 ms: "slow" no longer keeps pace.
    for (let i = 0; i < 10; i++) limiter.observe("fast", 5, T + 100);
    expect(limiter.acquire("slow", 1, T + 150)).toBe(false);
  });

  it("still tells a 50 ms receiver apart when a busy event loop adds 25 ms to every attempt", () => {
    const limiter = createLimiter();
    for (let i = 0; i < 8; i++) limiter.observe("fast", 28, T);
    for (let i = 0; i < 8; i++) limiter.observe("slow", 77, T);
    expect(limiter.acquire("slow", 1, T)).toBe(true);
    expect(limiter.acquire("slow", 1, T)).toBe(false); // 25 ms of its work is less than one attempt
    expect(limiter.acquire("fast", 1, T)).toBe(true);
    expect(limiter.acquire("fast", 1, T)).toBeInstanceOf(Promise);
  });

  it("hands parked work successive turns at the integration's pace", () => {
    const limiter = createLimiter();
    limiter.observe("slow", 50, T);
    const turns = [0, 1, 2, 3].map(() => limiter.nextTurnMs("slow", 10, T));
    expect(turns).toEqual([5, 10, 15, 20]); // 50 ms per attempt, 10 at a time
    expect(limiter.nextTurnMs("slow", 10, T + 1_000)).toBe(5); // a past schedule restarts from now
  });
});

describe("a hold (a receiver's Retry-After)", () => {
  const T = 1_000;

  it("refuses slots until it ends, then grants them again", () => {
    const limiter = createLimiter();
    expect(limiter.hold("crm", T + 2_000, T)).toBe(true);
    expect(limiter.acquire("crm", 4, T)).toBe(false);
    expect(limiter.acquire("crm", 4, T + 1_999)).toBe(false);
    expect(limiter.acquire("crm", 4, T + 2_000)).toBe(true);
    expect(limiter.acquire("other", 4, T)).toBe(true); // the others are not held
  });

  it("says whether it begins or extends one under way, and never shortens it", () => {
    const limiter = createLimiter();
    expect(limiter.hold("crm", T + 2_000, T)).toBe(true);
    expect(limiter.hold("crm", T + 1_000, T + 500)).toBe(false);
    expect(limiter.acquire("crm", 4, T + 1_500)).toBe(false);
    expect(limiter.hold("crm", T + 3_000, T + 1_500)).toBe(false);
    expect(limiter.hold("crm", T + 9_000, T + 3_000)).toBe(true);
  });

  it("tells the work waiting in line to park instead of taking released slots", async () => {
    const limiter = createLimiter();
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    const inLine = limiter.acquire("crm", 1, T);
    expect(inLine).toBeInstanceOf(Promise);
    limiter.hold("crm", T + 2_000, T);
    // Released before the line's own wait could end: the slot goes to no one.
    limiter.release("crm");
    expect(await inLine).toBe(false);
    expect(limiter.inFlight("crm")).toBe(0);
  });

  it("starts parked work's turns after it", () => {
    const limiter = createLimiter();
    limiter.observe("crm", 50, T);
    limiter.hold("crm", T + 2_000, T);
    expect(limiter.nextTurnMs("crm", 10, T)).toBe(2_005);
    expect(limiter.nextTurnMs("crm", 10, T)).toBe(2_010);
  });

  it("gives parked deliveries no room until it ends", async () => {
    const limiter = createLimiter();
    limiter.hold("crm", Date.now() + 150, Date.now());
    const started = performance.now();
    let room = limiter.whenRoom("crm", 3);
    expect(room).toBeInstanceOf(Promise);
    // A timer may fire a little before the wall clock reaches the hold's end (it counts from
    // the event loop's cached time): its caller asks again, as the delivery path does.
    for (let asked = 0; asked < 5 && room instanceof Promise; asked++) {
      await room;
      room = limiter.whenRoom("crm", 3);
    }
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(room).toBe(3);
  });

  it("keeps them waiting through a hold longer than a timer can wait, without a warning", async () => {
    const limiter = createLimiter();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      limiter.hold("crm", Date.now() + 41 * 86_400_000, Date.now());
      let settled = false;
      void Promise.resolve(limiter.whenRoom("crm", 3)).then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settled).toBe(false);
      expect(warnings.map((w) => w.name)).not.toContain("TimeoutOverflowWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});

describe("room for work kept elsewhere", () => {
  const T = 1_000;
  /** Resolves to whether `room` resolved within a few turns of the event loop. */
  const settles = async (room: number | Promise<void>) => {
    let settled = false;
    void Promise.resolve(room).then(() => (settled = true));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    return settled;
  };

  it("is the number of free slots while there are some", () => {
    const limiter = createLimiter();
    expect(limiter.whenRoom("crm", 3)).toBe(3);
    expect(limiter.acquire("crm", 3, T)).toBe(true);
    expect(limiter.whenRoom("crm", 3)).toBe(2);
  });

  it("waits while the integration is full, and resolves when a release frees a slot", async () => {
    const limiter = createLimiter();
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    const room = limiter.whenRoom("crm", 1);
    expect(room).toBeInstanceOf(Promise);
    expect(await settles(room)).toBe(false);
    limiter.release("crm");
    expect(await settles(room)).toBe(true);
    expect(limiter.whenRoom("crm", 1)).toBe(1);
  });

  it("keeps waiting when the released slot passes to work waiting in line", async () => {
    const limiter = createLimiter();
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    const inLine = limiter.acquire("crm", 1, T);
    expect(inLine).toBeInstanceOf(Promise);
    const room = limiter.whenRoom("crm", 1);
    limiter.release("crm"); // to the one in line
    expect(await settles(room)).toBe(false);
    limiter.release("crm");
    expect(await settles(room)).toBe(true);
  });

  it("is not woken by another integration's release", async () => {
    const limiter = createLimiter();
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    expect(limiter.acquire("billing", 1, T)).toBe(true);
    const room = limiter.whenRoom("crm", 1);
    limiter.release("billing");
    expect(await settles(room)).toBe(false);
  });

  it("wakes its waiters when the caps change, to be asked again with the new cap", async () => {
    const limiter = createLimiter();
    expect(limiter.acquire("crm", 1, T)).toBe(true);
    const room = limiter.whenRoom("crm", 1);
    limiter.capsChanged(); // a new generation raised crm's maxInFlight to 3
    expect(await settles(room)).toBe(true);
    expect(limiter.whenRoom("crm", 3)).toBe(2);
  });
});

describe("the limiter's edges", () => {
  const T = 1_000;

  it("refuses a release more than was taken, and keeps its count", () => {
    const limiter = createLimiter();
    expect(limiter.acquire("a", 1, T)).toBe(true);
    limiter.release("a");
    expect(() => limiter.release("a")).toThrow(LimiterError);
    expect(limiter.inFlight("a")).toBe(0);
  });

  it("ends a hold at its last millisecond, and knows none of a key never held", () => {
    const limiter = createLimiter();
    limiter.hold("a", 2 * T, T);
    expect(limiter.heldUntil("a", 2 * T - 1)).toBe(2 * T);
    expect(limiter.heldUntil("a", 2 * T)).toBeUndefined();
    expect(limiter.heldUntil("never", 0)).toBeUndefined();
  });

  it("never gives a turn of zero milliseconds: a fraction is rounded up", () => {
    // 50 slots share the 20 ms assumed of an attempt: the turn is 0.4 ms away.
    expect(createLimiter().nextTurnMs("k", 50, T)).toBe(1);
  });

  it("has no room for work kept elsewhere while others wait in line, free slots or not", () => {
    const limiter = createLimiter();
    expect(limiter.acquire("a", 1, T)).toBe(true);
    expect(limiter.acquire("a", 1, T)).toBeInstanceOf(Promise);
    // The cap raised to 2: one slot is free, but the one in line comes first.
    expect(limiter.whenRoom("a", 2)).toBeInstanceOf(Promise);
  });
});
