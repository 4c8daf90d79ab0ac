import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Intake, IntakeError } from "../../../src/delivery/concurrency/intake.js";

const SPARE_AFTER_MS = 1_000;

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe("Intake", () => {
  beforeEach(() =>
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] }),
  );
  afterEach(() => vi.useRealTimers());

  it("takes free slots at once and counts them", () => {
    const intake = new Intake(2, { spare: 1, spareAfterMs: SPARE_AFTER_MS });
    expect(intake.acquire()).toBeUndefined();
    expect(intake.acquire()).toBeUndefined();
    expect(intake.taken).toBe(2);
    expect(intake.acquire()).toBeInstanceOf(Promise);
    expect(intake.waiting).toBe(1);
  });

  it("hands released slots to waiters in the order they came", async () => {
    const intake = new Intake(1, { spare: 0, spareAfterMs: SPARE_AFTER_MS });
    expect(intake.acquire()).toBeUndefined();
    const first = intake.acquire() as Promise<void>;
    const second = intake.acquire() as Promise<void>;
    intake.release();
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(false);
    intake.release();
    expect(await settled(second)).toBe(true);
    expect(intake.taken).toBe(1);
  });

  it("gives a spare slot to a waiter once it has waited long enough, and no sooner", async () => {
    const intake = new Intake(1, { spare: 1, spareAfterMs: SPARE_AFTER_MS });
    expect(intake.acquire()).toBeUndefined();
    const waiter = intake.acquire() as Promise<void>;
    await vi.advanceTimersByTimeAsync(SPARE_AFTER_MS - 1);
    expect(await settled(waiter)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiter)).toBe(true);
    expect(intake.taken).toBe(2);
  });

  it("gives no more spare slots than it has, until one comes back", async () => {
    const intake = new Intake(1, { spare: 2, spareAfterMs: SPARE_AFTER_MS });
    expect(intake.acquire()).toBeUndefined();
    const waiters = [intake.acquire(), intake.acquire(), intake.acquire()] as Promise<void>[];
    await vi.advanceTimersByTimeAsync(SPARE_AFTER_MS);
    expect(await Promise.all(waiters.map(settled))).toEqual([true, true, false]);
    expect(intake.taken).toBe(3);
    intake.release();
    expect(await settled(waiters[2]!)).toBe(true);
    expect(intake.taken).toBe(3);
  });

  it("gives a newcomer a spare slot at once while the cap has not moved, as the next message of a pull batch", async () => {
    const intake = new Intake(1, { spare: 3, spareAfterMs: SPARE_AFTER_MS });
    expect(intake.acquire()).toBeUndefined(); // a request that hangs
    const first = intake.acquire() as Promise<void>;
    await vi.advanceTimersByTimeAsync(SPARE_AFTER_MS);
    expect(await settled(first)).toBe(true);
    // The messages pulled with the first have waited as long: they do not wait again.
    expect(intake.acquire()).toBeUndefined();
    expect(intake.acquire()).toBeUndefined();
    expect(intake.taken).toBe(4);
    const overSpares = intake.acquire() as Promise<void>;
    intake.release(); // a spare slot back: the cap is still stuck
    expect(await settled(overSpares)).toBe(true);
  });

  it("gives a newcomer a spare slot at once when the cap has been full that long with no one waiting", async () => {
    const intake = new Intake(1, { spare: 1, spareAfterMs: SPARE_AFTER_MS });
    expect(intake.acquire()).toBeUndefined(); // a request that hangs: the cap is full from here
    await vi.advanceTimersByTimeAsync(SPARE_AFTER_MS);
    expect(intake.acquire()).toBeUndefined();
    expect(intake.taken).toBe(2);
  });

  it("keeps newcomers in line while the cap moves", async () => {
    const intake = new Intake(1, { spare: 1, spareAfterMs: SPARE_AFTER_MS });
    expect(intake.acquire()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(SPARE_AFTER_MS - 1);
    intake.release();
    expect(intake.acquire()).toBeUndefined(); // the cap's slot taken again
    const newcomer = intake.acquire() as Promise<void>;
    expect(newcomer).toBeInstanceOf(Promise);
    await vi.advanceTimersByTimeAsync(SPARE_AFTER_MS - 1);
    expect(await settled(newcomer)).toBe(false);
    intake.release(); // below the cap: the newcomer takes it
    expect(await settled(newcomer)).toBe(true);
    expect(intake.taken).toBe(1);
  });

  it("does not take an event loop held up for a stuck cap: the answers it reads next free places first", async () => {
    vi.useRealTimers();
    const intake = new Intake(1, { spare: 1, spareAfterMs: 100 });
    expect(intake.acquire()).toBeUndefined();
    const waiter = intake.acquire() as Promise<void>;
    let served = false;
    void waiter.then(() => (served = true));
    // The loop is held up longer than spareAfterMs (a long collection, a starved CPU, a
    // profiler), then runs its overdue timers once before it reads what came in meanwhile.
    const until = Date.now() + 150;
    while (Date.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(served).toBe(false);
    intake.release(); // the answer read: a place of the cap comes free
    await waiter;
    expect(intake.taken).toBe(1);
  });

  it("takes no more bytes than it holds while others are in progress, and a message larger than all of them alone", async () => {
    const intake = new Intake(10, { spare: 0, spareAfterMs: SPARE_AFTER_MS, bytes: 100 });
    expect(intake.acquire(60)).toBeUndefined();
    expect(intake.acquire(40)).toBeUndefined();
    const over = intake.acquire(1) as Promise<void>;
    expect(over).toBeInstanceOf(Promise);
    intake.release(40);
    expect(await settled(over)).toBe(true);
    expect(intake.bytes).toBe(61);
    intake.release(60);
    intake.release(1);
    expect(intake.acquire(500)).toBeUndefined(); // alone: it would otherwise wait for good
    expect(intake.acquire(1)).toBeInstanceOf(Promise);
  });

  it("keeps a small newcomer behind a large message waiting for its bytes", async () => {
    const intake = new Intake(10, { spare: 0, spareAfterMs: SPARE_AFTER_MS, bytes: 100 });
    expect(intake.acquire(90)).toBeUndefined();
    const large = intake.acquire(50) as Promise<void>;
    const small = intake.acquire(5) as Promise<void>;
    expect(await settled(small)).toBe(false);
    intake.release(90);
    expect([await settled(large), await settled(small)]).toEqual([true, true]);
    expect(intake.bytes).toBe(55);
  });

  it("gives spare slots, once the cap is stuck on bytes, no more than their own bytes", async () => {
    const intake = new Intake(10, {
      spare: 5,
      spareAfterMs: SPARE_AFTER_MS,
      bytes: 100,
      spareBytes: 50,
    });
    expect(intake.acquire(100)).toBeUndefined(); // requests that hang
    const waiters = [intake.acquire(30), intake.acquire(20), intake.acquire(1)] as Promise<void>[];
    await vi.advanceTimersByTimeAsync(SPARE_AFTER_MS - 1);
    expect(await settled(waiters[0]!)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all(waiters.map(settled))).toEqual([true, true, false]);
    expect(intake.bytes).toBe(150);
    intake.release(30);
    expect(await settled(waiters[2]!)).toBe(true);
  });

  it("refuses a size that is no count and a release without an acquire", () => {
    expect(() => new Intake(0, { spare: 1, spareAfterMs: 1 })).toThrow(IntakeError);
    expect(() => new Intake(1.5, { spare: 1, spareAfterMs: 1 })).toThrow(/--max-in-flight/);
    expect(() => new Intake(1, { spare: 1, spareAfterMs: 1 }).release()).toThrow(IntakeError);
    const intake = new Intake(1, { spare: 1, spareAfterMs: 1 });
    expect(intake.acquire(10)).toBeUndefined();
    expect(() => intake.release(11)).toThrow(/released 11 bytes with only 10 taken/);
  });
});
