import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { NatsLink } from "../../src/nats/connection.js";
import { createHeldWrites } from "../../src/nats/held-writes.js";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("writes held to the end of the turn", () => {
  it("run at the end of the turn, all together and in the order they came", async () => {
    const writes = createHeldWrites({ holdMs: 0 });
    const done: number[] = [];
    for (const n of [1, 2, 3]) writes.add(() => done.push(n));
    await Promise.resolve(); // microtasks of this turn: still held
    expect(done).toEqual([]);
    await nextTurn();
    expect(done).toEqual([1, 2, 3]);
  });

  it("run at once when flushed, and only once", async () => {
    const writes = createHeldWrites({ holdMs: 0 });
    const done: string[] = [];
    writes.add(() => done.push("ack"));
    writes.flush();
    expect(done).toEqual(["ack"]);
    await nextTurn();
    expect(done).toEqual(["ack"]);
  });

  it("added by a write of this turn, run in the next one", async () => {
    const writes = createHeldWrites({ holdMs: 0 });
    const done: string[] = [];
    writes.add(() => {
      done.push("first");
      writes.add(() => done.push("second"));
    });
    await nextTurn();
    expect(done).toEqual(["first"]);
    await nextTurn();
    expect(done).toEqual(["first", "second"]);
  });

  it("all run when one throws, which is then thrown on", () => {
    const writes = createHeldWrites({ holdMs: 0 });
    const done: string[] = [];
    writes.add(() => done.push("ack 1"));
    writes.add(() => {
      throw new Error("a fault in a write");
    });
    writes.add(() => done.push("ack 2"));
    expect(() => writes.flush()).toThrow("a fault in a write");
    expect(done).toEqual(["ack 1", "ack 2"]);
    expect(writes.size).toBe(0);
  });
});

describe("writes held for a time", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("gather the writes made during the hold and run them together when it ends", () => {
    const writes = createHeldWrites({ holdMs: 10 });
    const done: number[] = [];
    writes.add(() => done.push(1));
    vi.advanceTimersByTime(6);
    writes.add(() => done.push(2));
    vi.advanceTimersByTime(3); // 9 ms after the first write: still held
    expect(done).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(done).toEqual([1, 2]);
  });

  it("start a new hold with the first write after one ends", () => {
    const writes = createHeldWrites({ holdMs: 10 });
    const done: number[] = [];
    writes.add(() => done.push(1));
    vi.advanceTimersByTime(30);
    writes.add(() => done.push(2));
    vi.advanceTimersByTime(9);
    expect(done).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(done).toEqual([1, 2]);
  });

  it("run at once when flushed, and not again when the hold would have ended", () => {
    const writes = createHeldWrites({ holdMs: 10 });
    const done: string[] = [];
    writes.add(() => done.push("ack"));
    writes.flush();
    expect(done).toEqual(["ack"]);
    vi.advanceTimersByTime(50);
    expect(done).toEqual(["ack"]);
  });
});

/** A connection the test takes down and brings back. */
function testLink(): NatsLink & { down(): void; up(): void } {
  let connected = true;
  let back = () => undefined as void;
  let whenUp = Promise.resolve();
  return {
    isConnected: () => connected,
    connected: () => whenUp,
    down() {
      connected = false;
      whenUp = new Promise((resolve) => (back = resolve));
    },
    up() {
      connected = true;
      back();
    },
  };
}

describe("writes while the connection is down", () => {
  it("wait for it and run once it is back, all together and in order", async () => {
    const link = testLink();
    const writes = createHeldWrites({ holdMs: 0, link });
    const done: number[] = [];
    link.down();
    writes.add(() => done.push(1));
    await nextTurn();
    writes.add(() => done.push(2));
    writes.flush();
    await nextTurn();
    expect(done).toEqual([]);
    link.up();
    await Promise.resolve();
    expect(done).toEqual([1, 2]);
  });

  it("run when released, the connection down, and not again once it is back", async () => {
    const link = testLink();
    const writes = createHeldWrites({ holdMs: 0, link });
    const done: string[] = [];
    link.down();
    writes.add(() => done.push("rejected"));
    await nextTurn();
    writes.release();
    expect(done).toEqual(["rejected"]);
    expect(writes.size).toBe(0);
    link.up();
    await nextTurn();
    expect(done).toEqual(["rejected"]);
  });

  it("wait again when it goes down before they ran", async () => {
    const link = testLink();
    const writes = createHeldWrites({ holdMs: 0, link });
    const done: string[] = [];
    link.down();
    writes.add(() => done.push("ack"));
    await nextTurn();
    link.up();
    link.down(); // back, and down again before the writes' turn
    await nextTurn();
    expect(done).toEqual([]);
    link.up();
    await nextTurn();
    expect(done).toEqual(["ack"]);
  });

  it("run as before once it is back", async () => {
    const link = testLink();
    const writes = createHeldWrites({ holdMs: 0, link });
    const done: string[] = [];
    link.down();
    writes.add(() => done.push("held"));
    link.up();
    await nextTurn();
    writes.add(() => done.push("next"));
    await nextTurn();
    expect(done).toEqual(["held", "next"]);
  });
});
