import { describe, expect, it } from "vitest";
import { createTurnWrites } from "../../src/nats/turn-writes.js";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("turn writes", () => {
  it("run at the end of the turn, all together and in the order they came", async () => {
    const writes = createTurnWrites();
    const done: number[] = [];
    for (const n of [1, 2, 3]) writes.add(() => done.push(n));
    await Promise.resolve(); // microtasks of this turn: still held
    expect(done).toEqual([]);
    await nextTurn();
    expect(done).toEqual([1, 2, 3]);
  });

  it("run at once when flushed, and only once", async () => {
    const writes = createTurnWrites();
    const done: string[] = [];
    writes.add(() => done.push("ack"));
    writes.flush();
    expect(done).toEqual(["ack"]);
    await nextTurn();
    expect(done).toEqual(["ack"]);
  });

  it("added by a write of this turn, run in the next one", async () => {
    const writes = createTurnWrites();
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
});
