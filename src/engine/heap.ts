/**
 * EventQueue: a binary min-heap of scheduled events, ordered by (timeMs, priority, seq).
 *
 * Times live in a Float64Array and the tie-break key (priority and insertion counter packed into
 * one float) in another, so comparisons never touch objects; handlers and payloads sit in plain
 * arrays at the same index. Equal times pop by ascending priority, then in insertion order, which
 * makes a run a pure function of its inputs (FG-3).
 *
 * Worked example: push(5, 0, a), push(5, 0, b), push(3, 0, c), push(5, -1, d) pops c, d, a, b.
 */
export type EventHandler<T> = (payload: T) => void;

/** Insertion counters stay below this, so `priority * SEQ_SPAN + seq` orders by priority first. */
const SEQ_SPAN = 2 ** 44;

export class EventQueue {
  private times: Float64Array;
  private keys: Float64Array;
  private handlers: EventHandler<unknown>[] = [];
  private payloads: unknown[] = [];
  private count = 0;
  private seq = 0;

  constructor(initialCapacity = 1024) {
    this.times = new Float64Array(initialCapacity);
    this.keys = new Float64Array(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.count > 0 ? this.times[0]! : Number.POSITIVE_INFINITY;
  }

  /** Adds an event. `priority` is a small integer (lower runs first among equal times). */
  push<T>(timeMs: number, handler: EventHandler<T>, payload: T, priority = 0): void {
    if (this.count === this.times.length) this.grow();
    const key = priority * SEQ_SPAN + this.seq++;
    // Sift up with a hole: move parents down until the new event's slot is found.
    let i = this.count++;
    const times = this.times;
    const keys = this.keys;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < timeMs || (pt === timeMs && keys[parent]! < key)) break;
      times[i] = pt;
      keys[i] = keys[parent]!;
      this.handlers[i] = this.handlers[parent]!;
      this.payloads[i] = this.payloads[parent];
      i = parent;
    }
    times[i] = timeMs;
    keys[i] = key;
    this.handlers[i] = handler as EventHandler<unknown>;
    this.payloads[i] = payload;
  }

  /** Set by `pop()`: the removed event. Read them before the next pop. */
  poppedTimeMs = 0;
  poppedHandler: EventHandler<unknown> = noop;
  poppedPayload: unknown;

  /**
   * Removes the earliest event into `poppedTimeMs`/`poppedHandler`/`poppedPayload` (fields, so the
   * hot loop allocates nothing). Returns false when the queue is empty.
   */
  pop(): boolean {
    if (this.count === 0) return false;
    const times = this.times;
    const keys = this.keys;
    const handlers = this.handlers;
    const payloads = this.payloads;
    const topTime = times[0]!;
    const topHandler = handlers[0]!;
    const topPayload = payloads[0];
    const last = --this.count;
    if (last > 0) {
      const t = times[last]!;
      const k = keys[last]!;
      const h = handlers[last]!;
      const p = payloads[last];
      // Sift down with a hole from the root.
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= last) break;
        const right = child + 1;
        if (right < last) {
          const ct = times[child]!;
          const rt = times[right]!;
          if (rt < ct || (rt === ct && keys[right]! < keys[child]!)) child = right;
        }
        const ct = times[child]!;
        if (t < ct || (t === ct && k < keys[child]!)) break;
        times[i] = ct;
        keys[i] = keys[child]!;
        handlers[i] = handlers[child]!;
        payloads[i] = payloads[child];
        i = child;
      }
      times[i] = t;
      keys[i] = k;
      handlers[i] = h;
      payloads[i] = p;
    }
    // Drop references so finished payloads can be collected.
    handlers[last] = noop;
    payloads[last] = undefined;
    this.poppedTimeMs = topTime;
    this.poppedHandler = topHandler;
    this.poppedPayload = topPayload;
    return true;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.times = times;
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
  }
}

function noop(): void {}
