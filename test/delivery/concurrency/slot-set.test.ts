import { describe, expect, it } from "vitest";
import { SlotSet } from "../../../src/delivery/concurrency/slot-set.js";

type Step = ["add", string] | ["delete", string];

describe("a slot set", () => {
  it.each<{ name: string; steps: Step[]; items: string[]; slots: Record<string, number> }>([
    {
      name: "keeps what was added, in slot order",
      steps: [
        ["add", "a"],
        ["add", "b"],
      ],
      items: ["a", "b"],
      slots: { a: 0, b: 1 },
    },
    {
      name: "lets a deleted item go",
      steps: [
        ["add", "a"],
        ["add", "b"],
        ["delete", "a"],
      ],
      items: ["b"],
      slots: { a: 0, b: 1 },
    },
    {
      name: "reuses a freed slot before growing",
      steps: [
        ["add", "a"],
        ["add", "b"],
        ["delete", "a"],
        ["add", "c"],
      ],
      items: ["c", "b"],
      slots: { a: 0, b: 1, c: 0 },
    },
    {
      name: "ignores a second delete of the same slot",
      steps: [
        ["add", "a"],
        ["delete", "a"],
        ["delete", "a"],
        ["add", "b"],
        ["add", "c"],
      ],
      items: ["b", "c"],
      slots: { a: 0, b: 0, c: 1 },
    },
  ])("$name", ({ steps, items, slots }) => {
    const set = new SlotSet<string>();
    const slotOf: Record<string, number> = {};
    for (const [action, item] of steps) {
      if (action === "add") slotOf[item] = set.add(item);
      else set.delete(slotOf[item]!);
    }
    expect([...set]).toEqual(items);
    expect(set.size).toBe(items.length);
    expect(slotOf).toEqual(slots);
  });

  it("never grows past the most items it held at once", () => {
    const set = new SlotSet<number>();
    const held = [set.add(1), set.add(2), set.add(3)];
    for (let round = 0; round < 1_000; round += 1) {
      const slot = held.shift()!;
      set.delete(slot);
      held.push(set.add(round));
    }
    expect(Math.max(...held)).toBe(2);
    expect(set.size).toBe(3);
  });
});
