/**
 * EventQueue: a binary min-heap of scheduled events, ordered by (timeMs, priority, seq).
 *
 * Each slot holds its time and tie-break key (priority and insertion counter packed into one
 * float) side by side in one Float64Array, and its handler and payload side by side in one plain
 * array, so a sift step touches two adjacent pairs and comparisons never touch objects. Equal
 * times pop by ascending priority, then in insertion order, which makes a run a pure function of
 * its inputs (FG-3).
 *
 * Worked example: push(5, 0, a), push(5, 0, b), push(3, 0, c), push(5, -1, d) pops c, d, a, b.
 */
export type EventHandler<T> = (payload: T) => void;

/** Insertion counters stay below this, so `priority * SEQ_SPAN + seq` orders by priority first. */
const SEQ_SPAN = 2 ** 44;

export class EventQueue {
  /** [time0, key0, time1, key1, ...] */
  private keys: Float64Array;
  /** [handler0, payload0, handler1, payload1, ...] */
  private items: unknown[];
  private count = 0;
  private seq = 0;

  /** Set by `pop()`: the removed event. Read them before the next pop. */
  poppedTimeMs = 0;
  poppedHandler: EventHandler<unknown> = noop;
  poppedPayload: unknown;

  constructor(initialCapacity = 1024) {
    this.keys = new Float64Array(2 * initialCapacity);
    this.items = new Array(2 * initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.count > 0 ? this.keys[0]! : Number.POSITIVE_INFINITY;
  }

  /** Adds an event. `priority` is a small integer (lower runs first among equal times). */
  push<T>(timeMs: number, handler: EventHandler<T>, payload: T, priority = 0): void {
    if (2 * this.count === this.keys.length) this.grow();
    const key = priority * SEQ_SPAN + this.seq++;
    const keys = this.keys;
    const items = this.items;
    // Sift up with a hole: move parents down until the new event's slot is found.
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = keys[2 * parent]!;
      if (pt < timeMs || (pt === timeMs && keys[2 * parent + 1]! < key)) break;
      keys[2 * i] = pt;
      keys[2 * i + 1] = keys[2 * parent + 1]!;
      items[2 * i] = items[2 * parent];
      items[2 * i + 1] = items[2 * parent + 1];
      i = parent;
    }
    keys[2 * i] = timeMs;
    keys[2 * i + 1] = key;
    items[2 * i] = handler;
    items[2 * i + 1] = payload;
  }

  /**
   * Removes the earliest event into `poppedTimeMs`/`poppedHandler`/`poppedPayload` (fields, so the
   * hot loop allocates nothing). Returns false when the queue is empty. Vacated slots keep their
   * stale references until reused: memory stays bounded by the largest queue size.
   */
  pop(): boolean {
    if (this.count === 0) return false;
    const keys = this.keys;
    const items = this.items;
    this.poppedTimeMs = keys[0]!;
    this.poppedHandler = items[0] as EventHandler<unknown>;
    this.poppedPayload = items[1];
    const last = --this.count;
    if (last > 0) {
      const t = keys[2 * last]!;
      const k = keys[2 * last + 1]!;
      const h = items[2 * last];
      const p = items[2 * last + 1];
      // Sift down with a hole from the root.
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= last) break;
        let ct = keys[2 * child]!;
        const right = child + 1;
        if (right < last) {
          const rt = keys[2 * right]!;
          if (rt < ct || (rt === ct && keys[2 * right + 1]! < keys[2 * child + 1]!)) {
            child = right;
            ct = rt;
          }
        }
        if (t < ct || (t === ct && k < keys[2 * child + 1]!)) break;
        keys[2 * i] = ct;
        keys[2 * i + 1] = keys[2 * child + 1]!;
        items[2 * i] = items[2 * child];
        items[2 * i + 1] = items[2 * child + 1];
        i = child;
      }
      keys[2 * i] = t;
      keys[2 * i + 1] = k;
      items[2 * i] = h;
      items[2 * i + 1] = p;
    }
    return true;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
    this.items.length = keys.length;
  }
}

function noop(): void {}
