import { describe, expect, it } from "vitest";
import { createHeldWrites } from "../../src/nats/held-writes.js";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
});

describe("writes held for a time", () => {
  it("gather the writes of several turns and run them together when the hold ends", async () => {
    const writes = createHeldWrites({ holdMs: 200 });
    const done: number[] = [];
    writes.add(() => done.push(1));
    await nextTurn();
    writes.add(() => done.push(2));
    await nextTurn();
    expect(done).toEqual([]);
    await sleep(400);
    expect(done).toEqual([1, 2]);
  });

  it("start a new hold with the first write after one ends", async () => {
    const writes = createHeldWrites({ holdMs: 20 });
    const done: number[] = [];
    writes.add(() => done.push(1));
    await sleep(60);
    writes.add(() => done.push(2));
    expect(done).toEqual([1]);
    await sleep(60);
    expect(done).toEqual([1, 2]);
  });

  it("run at once when flushed, and not again when the hold would have ended", async () => {
    const writes = createHeldWrites({ holdMs: 20 });
    const done: string[] = [];
    writes.add(() => done.push("ack"));
    writes.flush();
    expect(done).toEqual(["ack"]);
    await sleep(60);
    expect(done).toEqual(["ack"]);
  });
});
