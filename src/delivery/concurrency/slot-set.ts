/**
 * The items in progress, kept in slots that are cleared and reused: the storage is never
 * replaced while items come and go.
 *
 * A `Set` that takes one item and lets one go for every request or message rebuilds its
 * hash table every few dozen changes. Once its table lives in the old generation, so does
 * each new one, and every table it leaves behind still points at the items it held; the
 * young-generation collector treats those pointers as live, so finished items (and all they
 * reach) are promoted until the next full collection: the sender's exchanges, 2 MB per
 * scavenge in a drain, in about half the processes, before they were kept in slots.
 */
export class SlotSet<T> {
  readonly #slots: (T | undefined)[] = [];
  readonly #free: number[] = [];

  /** Stores `item` and returns its slot, to be handed to `delete`. */
  add(item: T): number {
    const slot = this.#free.pop() ?? this.#slots.length;
    this.#slots[slot] = item;
    return slot;
  }

  delete(slot: number): void {
    if (this.#slots[slot] === undefined) return;
    this.#slots[slot] = undefined;
    this.#free.push(slot);
  }

  /** Every slot is either held or free. */
  get size(): number {
    return this.#slots.length - this.#free.length;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const item of this.#slots) if (item !== undefined) yield item;
  }
}
