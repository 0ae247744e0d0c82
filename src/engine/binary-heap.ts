/**
 * BinaryHeap: a min-heap of objects under a caller's ordering (`before(a, b)`: a comes out
 * first). For small queues of work items (a gateway's priority queue, a replica's finish times);
 * the event queue has its own typed-array heap (heap.ts) because it is the hot path. Give a total
 * order (break ties, e.g. by an arrival counter): which of two tied items pops first depends on
 * the heap's layout.
 */
export class BinaryHeap<T> {
  private readonly items: T[] = [];
  private readonly before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.before = before;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const h = this.items;
    const before = this.before;
    // Sift up with a hole: parents move down until the item's place is found.
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!before(item, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = item;
  }

  pop(): T | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      const before = this.before;
      // Sift down with a hole from the root: the earlier child moves up while it is before `last`.
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        let child = h[c]!;
        if (c + 1 < n) {
          const right = h[c + 1]!;
          if (before(right, child)) {
            c++;
            child = right;
          }
        }
        if (!before(child, last)) break;
        h[i] = child;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
