import { describe, expect, it, vi } from "vitest";
import {
  RequestSlots,
  RequestSlotsError,
  SlotWaitTimeoutError,
} from "../../../src/delivery/concurrency/request-slots.js";

/** Takes `count` slots for `key` that are free at once. */
function take(slots: RequestSlots, key: string, count: number) {
  for (let i = 0; i < count; i++) expect(slots.acquire(key)).toBeUndefined();
}

describe("RequestSlots: the global cap on requests in flight", () => {
  it.each([0, -1, 1.5, Number.NaN])("refuses a size of %s", (size) => {
    expect(() => new RequestSlots(size)).toThrow(RequestSlotsError);
  });

  it.each([
    [256, 64, 16],
    [64, 16, 4],
    [8, 2, 1],
    [3, 0, 1],
  ])("of %i keeps %i slots for integrations holding fewer than %i", (size, reserve, share) => {
    expect(new RequestSlots(size)).toMatchObject({ size, reserve, share });
  });

  it("lets one integration alone take every slot", () => {
    const slots = new RequestSlots(8);
    take(slots, "crm", 8);
    expect(slots.taken).toBe(8);
  });

  it("keeps the last quarter from integrations holding many while another wants slots", () => {
    const slots = new RequestSlots(8); // reserve 2, share 1
    take(slots, "fast", 1);
    slots.release("fast"); // fast asked lately: it still wants slots
    take(slots, "hung", 6);
    expect(slots.acquire("hung")).toBeInstanceOf(Promise); // 6 of 8: the rest is kept
    take(slots, "fast", 1); // fast holds none: the reserve is there for it
    expect(slots.taken).toBe(7);
  });

  it("keeps the reserve from an integration holding exactly its share unanswered", async () => {
    const slots = new RequestSlots(8, { maxWaitMs: 50 }); // reserve 2, share 1
    take(slots, "fast", 1);
    slots.release("fast"); // fast asked lately: it still wants slots
    take(slots, "hung", 5);
    take(slots, "lone", 1); // 6 of 8: lone holds its share, none of it answered
    await expect(slots.acquire("lone")).rejects.toBeInstanceOf(SlotWaitTimeoutError);
    take(slots, "fast", 1);
    expect(slots.taken).toBe(7);
  });

  it("lets an integration whose requests come back use the reserve beside others (a fan-out)", async () => {
    const slots = new RequestSlots(8, { maxWaitMs: 50 }); // reserve 2, share 1
    take(slots, "answering", 3);
    take(slots, "silent", 3);
    slots.release("answering", 0, performance.now()); // one came back at once: it is answered
    take(slots, "answering", 3); // 5, 6 of 8, then into the reserve: 7 and 8
    expect(slots.taken).toBe(8);
    slots.release("answering", 0, performance.now());
    // None of silent's came back: kept out of the reserve, it is told to park.
    await expect(slots.acquire("silent")).rejects.toBeInstanceOf(SlotWaitTimeoutError);
  });

  it.each<[string, (slots: RequestSlots) => void]>([
    // Its receiver answers a wave of requests at once, each after seconds: then it would
    // take the reserve with its next wave, and hold it as long.
    [
      "came back after a second or more",
      (slots) => slots.release("slow", 0, performance.now() - 1_500),
    ],
    ["was given back unsent", (slots) => slots.release("slow")],
  ])("keeps the reserve from an integration holding many whose request %s", async (_, release) => {
    const slots = new RequestSlots(8, { maxWaitMs: 50 }); // reserve 2, share 1
    take(slots, "fast", 1);
    slots.release("fast", 0, performance.now()); // fast asked lately: it still wants slots
    take(slots, "slow", 6);
    release(slots);
    take(slots, "slow", 1); // 6 of 8 again
    await expect(slots.acquire("slow")).rejects.toBeInstanceOf(SlotWaitTimeoutError);
    take(slots, "fast", 2); // the reserve is there for the others
    expect(slots.taken).toBe(8);
  });

  it("hands a released slot to the oldest waiter that may take it, not to one kept out", async () => {
    const slots = new RequestSlots(8); // reserve 2, share 1
    take(slots, "hung", 6);
    take(slots, "b", 1);
    take(slots, "c", 1); // 8 of 8
    const served: string[] = [];
    const hung = slots.acquire("hung")!.then(() => served.push("hung"));
    const fresh = slots.acquire("fresh")!.then(() => served.push("fresh"));
    slots.release("b"); // 7 taken: hung (6) is kept out of the reserve, fresh (0) is not
    await fresh;
    expect(served).toEqual(["fresh"]);
    slots.release("c");
    slots.release("fresh");
    await Promise.resolve();
    expect(served).toEqual(["fresh"]); // 6 taken, all hung's: still its limit
    slots.release("hung"); // 5 taken: hung may have one again
    await hung;
    expect(served).toEqual(["fresh", "hung"]);
    expect(slots.taken).toBe(6);
  });

  it("serves a waiter kept out of the reserve once the others stop asking, not parks it", async () => {
    const slots = new RequestSlots(8, { maxWaitMs: 200, activeMs: 50 });
    take(slots, "fast", 1);
    slots.release("fast");
    take(slots, "hung", 6);
    const seventh = slots.acquire("hung"); // fast asked lately: the reserve is kept
    expect(seventh).toBeInstanceOf(Promise);
    await expect(seventh).resolves.toBeUndefined(); // fast went quiet: the slot is hung's
    expect(slots.taken).toBe(7);
  });

  it("forgets an integration that stopped asking on every 1,024th acquire, with no one waiting", async () => {
    const slots = new RequestSlots(8, { bytes: 100, activeMs: 50 }); // 75 bytes before the reserve
    expect(slots.acquire("fast")).toBeUndefined();
    slots.release("fast");
    for (let i = 0; i < 6; i++) expect(slots.acquire("hung", undefined, 10)).toBeUndefined();
    slots.release("hung", 10); // 5 slots and 50 bytes: one more slot fits before the reserve
    await new Promise((resolve) => setTimeout(resolve, 60)); // fast went quiet
    for (let i = 7; i < 1_023; i++) {
      expect(slots.acquire("hung")).toBeUndefined();
      slots.release("hung");
    }
    // 1,023 acquires: fast, quiet, is still counted as wanting slots, so hung keeps out.
    expect(slots.hasBytesFor("hung", 30)).toBe(false);
    expect(slots.acquire("hung")).toBeUndefined(); // the 1,024th forgets it
    slots.release("hung");
    expect(slots.hasBytesFor("hung", 30)).toBe(true);
  });

  it("tells a waiter to park at maxWaitMs, holding nothing", async () => {
    // The clock the test moves: at maxWaitMs, not merely some time after it.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const slots = new RequestSlots(1, { maxWaitMs: 300 });
      take(slots, "hung", 1);
      let settled: unknown;
      slots.acquire("crm")!.then(
        () => (settled = "a slot"),
        (err: unknown) => (settled = err),
      );
      await vi.advanceTimersByTimeAsync(299);
      expect(settled).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toBeInstanceOf(SlotWaitTimeoutError);
      expect(slots.taken).toBe(1);
      slots.release("hung");
      expect(slots.acquire("crm")).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects a waiter whose signal aborts, and a wait begun after it", async () => {
    const slots = new RequestSlots(1);
    take(slots, "a", 1);
    const shutdown = new AbortController();
    const waiting = slots.acquire("b", shutdown.signal);
    shutdown.abort(new Error("stopping"));
    await expect(waiting).rejects.toThrow("stopping");
    await expect(slots.acquire("b", shutdown.signal)).rejects.toThrow("stopping");
    expect(slots.taken).toBe(1);
  });

  it("weighs requests by bytes: no more in flight than the bytes allow, and a large one alone", async () => {
    const slots = new RequestSlots(8, { bytes: 100, maxWaitMs: 5_000 });
    expect(slots.acquire("crm", undefined, 70)).toBeUndefined();
    const waiting = slots.acquire("billing", undefined, 40) as Promise<void>;
    expect(waiting).toBeInstanceOf(Promise);
    slots.release("crm", 70);
    await waiting;
    expect([slots.taken, slots.bytes]).toEqual([1, 40]);
    slots.release("billing", 40);
    expect(slots.acquire("crm", undefined, 500)).toBeUndefined(); // alone: else it waits for good
    expect(slots.bytes).toBe(500);
  });

  it("lets a request that fits pass a large one waiting for bytes, which goes first once it fits", async () => {
    const slots = new RequestSlots(8, { bytes: 1_000, maxWaitMs: 5_000 });
    expect(slots.acquire("hung", undefined, 500)).toBeUndefined();
    const order: string[] = [];
    const large = (slots.acquire("billing", undefined, 600) as Promise<void>).then(() =>
      order.push("large"),
    );
    // Not held up by the large one, which could not take a slot now anyway.
    expect(slots.acquire("crm", undefined, 5)).toBeUndefined();
    expect(slots.acquire("erp", undefined, 5)).toBeUndefined();
    slots.release("hung", 500);
    await large;
    expect(order).toEqual(["large"]);
    expect(slots.bytes).toBe(610);
  });

  it("keeps the last quarter of the bytes from integrations holding many while another wants slots", () => {
    const slots = new RequestSlots(8, { bytes: 100 }); // reserve 2 slots and 25 bytes, share 1
    take(slots, "fast", 1);
    slots.release("fast"); // fast asked lately: it still wants slots
    for (let i = 0; i < 3; i++) expect(slots.acquire("hung", undefined, 25)).toBeUndefined();
    const kept = slots.acquire("hung", undefined, 25); // 75 of 100 bytes taken
    expect(kept).toBeInstanceOf(Promise);
    void kept?.catch(() => undefined); // it parks after a second
    expect(slots.acquire("fast", undefined, 20)).toBeUndefined(); // the reserve is there for it
    expect([slots.taken, slots.bytes]).toEqual([4, 95]);
  });

  it("tells whether the bytes have room for a request of an integration, as a parked reader asks before it reads", () => {
    const slots = new RequestSlots(8, { bytes: 100 }); // reserve 2 slots and 25 bytes, share 1
    expect(slots.hasBytesFor("hung", 500)).toBe(true); // alone
    take(slots, "fast", 1);
    slots.release("fast");
    for (let i = 0; i < 3; i++) expect(slots.acquire("hung", undefined, 25)).toBeUndefined();
    expect(slots.hasBytesFor("hung", 25)).toBe(false); // kept out of the bytes' reserve
    expect(slots.hasBytesFor("fast", 25)).toBe(true);
    expect(slots.hasBytesFor("fast", 26)).toBe(false); // does not fit at all
    expect([slots.taken, slots.bytes]).toEqual([3, 75]); // nothing taken by asking
  });

  it("tells a request waiting for bytes to park after maxWaitMs, saying what is in flight", async () => {
    const slots = new RequestSlots(8, { bytes: 100 * 1024, maxWaitMs: 50 });
    expect(slots.acquire("hung", undefined, 100 * 1024)).toBeUndefined();
    const waiting = slots.acquire("crm", undefined, 1024);
    await expect(waiting).rejects.toBeInstanceOf(SlotWaitTimeoutError);
    await expect(slots.acquire("crm", undefined, 1024)).rejects.toThrow(
      "no request slot within 50 ms (requests of 100 KiB in flight)",
    );
    expect([slots.taken, slots.bytes]).toEqual([1, 100 * 1024]);
  });

  it("tells a request waiting for a slot of a full cap to park after maxWaitMs, saying so", async () => {
    const slots = new RequestSlots(1, { maxWaitMs: 10 });
    take(slots, "a", 1);
    await expect(slots.acquire("b")).rejects.toThrow(
      "no request slot within 10 ms (--max-in-flight 1 taken)",
    );
  });

  it("refuses a release without a matching acquire, or of more bytes than taken", () => {
    const slots = new RequestSlots(2);
    take(slots, "a", 1);
    expect(() => slots.release("b")).toThrow(RequestSlotsError);
    expect(() => slots.release("a", 1)).toThrow(/released 1 bytes with only 0 taken/);
  });
});
