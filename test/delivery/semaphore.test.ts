import { describe, expect, it } from "vitest";
import { Semaphore, SemaphoreError } from "../../src/delivery/semaphore.js";

describe("Semaphore", () => {
  it.each([0, -1, 1.5, Number.NaN])("refuses a size of %s", (size) => {
    expect(() => new Semaphore(size)).toThrow(SemaphoreError);
  });

  it("takes free slots at once and counts them", () => {
    const semaphore = new Semaphore(2);
    expect(semaphore.acquire()).toBeUndefined();
    expect(semaphore.acquire()).toBeUndefined();
    expect(semaphore.taken).toBe(2);
    expect(semaphore.waiting).toBe(0);
  });

  it("hands released slots to waiters in the order they came", async () => {
    const semaphore = new Semaphore(1);
    expect(semaphore.acquire()).toBeUndefined();
    const served: string[] = [];
    const first = semaphore.acquire()!.then(() => served.push("first"));
    const second = semaphore.acquire()!.then(() => served.push("second"));
    expect(semaphore.waiting).toBe(2);
    semaphore.release();
    await first;
    expect(served).toEqual(["first"]);
    expect(semaphore.taken).toBe(1); // handed over, not freed
    semaphore.release();
    await second;
    expect(served).toEqual(["first", "second"]);
    semaphore.release();
    expect(semaphore.taken).toBe(0);
  });

  it("lets a waiter whose signal aborts leave the line without taking a slot", async () => {
    const semaphore = new Semaphore(1);
    expect(semaphore.acquire()).toBeUndefined();
    const controller = new AbortController();
    const leaving = semaphore.acquire(controller.signal);
    const staying = semaphore.acquire();
    controller.abort(new Error("shutting down"));
    await expect(leaving).rejects.toThrow("shutting down");
    expect(semaphore.waiting).toBe(1);
    semaphore.release();
    await staying;
    expect(semaphore.taken).toBe(1);
  });

  it("ends the waits of one signal together and keeps the others in order", async () => {
    const semaphore = new Semaphore(1);
    expect(semaphore.acquire()).toBeUndefined();
    const shutdown = new AbortController();
    const other = new AbortController();
    const served: string[] = [];
    const waits = [
      semaphore.acquire(shutdown.signal)!.catch(() => served.push("a left")),
      semaphore.acquire(other.signal)!.then(() => served.push("b served")),
      semaphore.acquire(shutdown.signal)!.catch(() => served.push("c left")),
      semaphore.acquire()!.then(() => served.push("d served")),
    ];
    shutdown.abort(new Error("shutting down"));
    await Promise.all([waits[0], waits[2]]);
    expect(semaphore.waiting).toBe(2);
    semaphore.release();
    await waits[1];
    semaphore.release();
    await waits[3];
    expect(served).toEqual(["a left", "c left", "b served", "d served"]);
  });

  it("refuses at once when the signal has already aborted", async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.acquire(AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
    expect(semaphore.taken).toBe(0);
  });

  it("throws on a release without an acquire", () => {
    expect(() => new Semaphore(1).release()).toThrow(SemaphoreError);
  });
});
