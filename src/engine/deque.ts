/**
 * Deque: a growable ring buffer (FIFO queues of waiting work, LIFO when popped from the back).
 * O(1) push/shift/pop without the O(n) `Array.prototype.shift`.
 */
export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  private length = 0;
  /** Capacity - 1; capacity is a power of two so wrapping is a mask, not a division. */
  private mask: number;

  constructor(capacity = 16) {
    let size = 16;
    while (size < capacity) size *= 2;
    this.items = new Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.length;
  }

  push(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & this.mask] = item;
    this.length++;
  }

  /** Adds `item` before the oldest one (it will be shifted out first). */
  pushFront(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = item;
    this.length++;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return item;
  }

  /** Removes and returns the newest item. */
  pop(): T | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) & this.mask;
    const item = this.items[i];
    this.items[i] = undefined;
    this.length--;
    return item;
  }

  peekFront(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = next.length - 1;
  }
}
