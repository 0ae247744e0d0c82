/**
 * EventQueue: a binary min-heap of scheduled events, ordered by (timeMs, priority, seq), whose
 * pending events can be cancelled.
 *
 * The heap itself holds only numbers: each heap position has its time and tie-break key (priority
 * and insertion counter packed into one float) side by side in one Float64Array, and the event's
 * slot in an Int32Array. A slot is where the event's handler and payload stay put while the heap
 * moves its numbers around (so a sift step writes no object references), and where its current
 * heap position is kept (so `cancel` finds it in O(1) and removes it in O(log n)). Slots are
 * reused last-freed-first; each carries a generation, bumped when it is freed, and a handle is
 * (generation, slot): a handle whose event has fired or was cancelled no longer matches and
 * cancelling it does nothing. Equal times pop by ascending priority, then in insertion order,
 * which makes a run a pure function of its inputs (FG-3).
 *
 * Worked example: push(5, 0, a), push(5, 0, b), push(3, 0, c), push(5, -1, d) pops c, d, a, b;
 * cancelling a's handle first pops c, d, b.
 */
export type EventHandler<T> = (payload: T) => void;

/** Identifies one scheduled event, for `cancel`: a positive integer, never 0. */
export type TimerHandle = number;

/** Insertion counters stay below this, so `priority * SEQ_SPAN + seq` orders by priority first. */
const SEQ_SPAN = 2 ** 44;
/** At most this many events pending at once (2^26, about 67M); handles are gen * SLOT_SPAN + slot. */
const SLOT_SPAN = 2 ** 26;
/** Generations run 1 .. MAX_GEN (handle < 2^53); a slot that reaches it is retired, not reused. */
const MAX_GEN = 2 ** 26;

export class EventQueue {
  /** Heap order: [time0, key0, time1, key1, ...] */
  private keys: Float64Array;
  /** Heap order: the slot of the event at each heap position. */
  private heapSlot: Int32Array;
  /** By slot: the event's heap position, -1 when the slot is free. */
  private slotPos: Int32Array;
  /** By slot: the generation of the handle the slot's current (or next) event carries. */
  private slotGen: Int32Array;
  /** By slot: handler and payload. */
  private handlers: (EventHandler<never> | undefined)[];
  private payloads: unknown[];
  /** Free slots, last freed on top. */
  private free: Int32Array;
  private freeCount = 0;
  /** Slots ever handed out (the next new slot is this one). */
  private slots = 0;
  private count = 0;
  private seq = 0;
  /**
   * The root position is empty: the last pop left its hole for the next push to fill (an event
   * handler usually schedules one), which then sifts the new event down from the root: one sift
   * where filling the hole with the last event and then adding the new one took two. Anything
   * else fills it first (`fillHole`). The events are then at positions 1..count.
   */
  private hole = false;

  /** Set by `pop()`: the removed event's time, and its slot (which keeps its handler and payload). */
  poppedTimeMs = 0;
  private poppedSlot = -1;

  /** Generations a slot lives through before it is retired (MAX_GEN; tests pass a small one). */
  private readonly maxGen: number;

  constructor(initialCapacity = 1024, maxGenerations = MAX_GEN) {
    this.maxGen = Math.min(MAX_GEN, maxGenerations);
    const cap = Math.max(1, initialCapacity);
    this.keys = new Float64Array(2 * cap);
    this.heapSlot = new Int32Array(cap);
    this.slotPos = new Int32Array(cap).fill(-1);
    this.slotGen = new Int32Array(cap).fill(1);
    this.handlers = new Array(cap).fill(undefined);
    this.payloads = new Array(cap).fill(undefined);
    this.free = new Int32Array(cap);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    if (this.hole) this.fillHole();
    return this.count > 0 ? this.keys[0]! : Number.POSITIVE_INFINITY;
  }

  /**
   * Adds an event and returns its handle. `priority` is a small integer (lower runs first among
   * equal times).
   */
  push<T>(timeMs: number, handler: EventHandler<T>, payload: T, priority = 0): TimerHandle {
    let slot: number;
    if (this.freeCount > 0) slot = this.free[--this.freeCount]!;
    else {
      if (this.slots === this.slotPos.length) this.grow();
      slot = this.slots++;
    }
    // A slot is often reused at once for the same kind of event: skip a store (and its barrier).
    if (this.handlers[slot] !== handler) this.handlers[slot] = handler as EventHandler<never>;
    this.payloads[slot] = payload;
    const key = priority * SEQ_SPAN + this.seq++;
    if (this.hole) {
      this.hole = false;
      this.siftDown(0, timeMs, key, slot, ++this.count);
    } else this.siftUp(this.count++, timeMs, key, slot);
    return this.slotGen[slot]! * SLOT_SPAN + slot;
  }

  /**
   * The handler and payload of the event `pop()` removed: read them before the next push or pop
   * (its slot is free, and kept as it was until a push reuses it).
   */
  get poppedHandler(): EventHandler<unknown> {
    return this.poppedSlot < 0 ? noop : (this.handlers[this.poppedSlot] as EventHandler<unknown>);
  }

  get poppedPayload(): unknown {
    return this.poppedSlot < 0 ? undefined : this.payloads[this.poppedSlot];
  }

  /**
   * Removes the earliest event into `poppedTimeMs`/`poppedHandler`/`poppedPayload` (the hot loop
   * allocates nothing, and stores no reference: the event's slot keeps its handler and payload
   * until reused, and slots are reused first, so that stays bounded by the largest queue).
   * Returns false when the queue is empty.
   */
  pop(): boolean {
    return this.popUntil(Number.POSITIVE_INFINITY);
  }

  /** As `pop`, when the earliest event is at or before `untilMs`; else false, changing nothing. */
  popUntil(untilMs: number): boolean {
    if (this.hole) this.fillHole();
    if (this.count === 0 || !(this.keys[0]! <= untilMs)) return false;
    const slot = this.heapSlot[0]!;
    this.poppedTimeMs = this.keys[0]!;
    this.poppedSlot = slot;
    this.release(slot);
    this.count--;
    this.hole = true;
    return true;
  }

  /** Moves the last event into the root's hole (see `hole`), and from there down to its place. */
  private fillHole(): void {
    this.hole = false;
    const last = this.count;
    if (last > 0)
      this.siftDown(0, this.keys[2 * last]!, this.keys[2 * last + 1]!, this.heapSlot[last]!, last);
  }

  /**
   * Removes the pending event `handle` names: it will not fire, and the queue drops its handler
   * and payload now. Returns false, changing nothing, when the handle's event has already fired or
   * been cancelled (or the value is no handle of this queue).
   */
  cancel(handle: TimerHandle): boolean {
    if (!(handle >= SLOT_SPAN) || !Number.isSafeInteger(handle)) return false;
    // Floor and multiply, not `%`: a double's modulo is a call into the C library.
    const gen = Math.floor(handle / SLOT_SPAN);
    const slot = handle - gen * SLOT_SPAN;
    if (slot >= this.slots || this.slotGen[slot] !== gen) return false;
    if (this.slotPos[slot]! < 0) return false;
    if (this.hole) this.fillHole();
    const i = this.slotPos[slot]!;
    this.handlers[slot] = undefined;
    this.payloads[slot] = undefined;
    this.release(slot);
    const last = --this.count;
    if (i === last) return true;
    // Fill the hole with the last event, which then moves up or down to its place.
    const keys = this.keys;
    const t = keys[2 * last]!;
    const k = keys[2 * last + 1]!;
    const s = this.heapSlot[last]!;
    if (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = keys[2 * parent]!;
      if (t < pt || (t === pt && k < keys[2 * parent + 1]!)) {
        this.siftUp(i, t, k, s);
        return true;
      }
    }
    this.siftDown(i, t, k, s, last);
    return true;
  }

  /**
   * Moves the pending event `handle` to `timeMs` (priority 0): the queue ends as `cancel(handle)`
   * then `push(timeMs, its handler, its payload)` would leave it (the same slot, its next
   * generation, a new insertion number), with one sift instead of two. Returns the new handle, or
   * 0, changing nothing, when the handle's event is not pending.
   */
  reschedule(handle: TimerHandle, timeMs: number): TimerHandle {
    if (!(handle >= SLOT_SPAN) || !Number.isSafeInteger(handle)) return 0;
    const oldGen = Math.floor(handle / SLOT_SPAN);
    const slot = handle - oldGen * SLOT_SPAN;
    if (slot >= this.slots || this.slotGen[slot] !== oldGen) return 0;
    if (this.slotPos[slot]! < 0) return 0;
    const gen = this.slotGen[slot]! + 1;
    if (gen >= this.maxGen) {
      // Its slot retires: cancel and push take another.
      const handler = this.handlers[slot] as EventHandler<unknown>;
      const payload = this.payloads[slot];
      this.cancel(handle);
      return this.push(timeMs, handler, payload);
    }
    if (this.hole) this.fillHole();
    this.slotGen[slot] = gen;
    const i = this.slotPos[slot]!;
    const k = this.seq++;
    const keys = this.keys;
    if (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = keys[2 * parent]!;
      if (timeMs < pt || (timeMs === pt && k < keys[2 * parent + 1]!)) {
        this.siftUp(i, timeMs, k, slot);
        return gen * SLOT_SPAN + slot;
      }
    }
    this.siftDown(i, timeMs, k, slot, this.count);
    return gen * SLOT_SPAN + slot;
  }

  /** Frees a slot: its handle stops matching, and the slot is reused unless its generations ran out. */
  private release(slot: number): void {
    this.slotPos[slot] = -1;
    const gen = this.slotGen[slot]! + 1;
    this.slotGen[slot] = gen;
    if (gen < this.maxGen) this.free[this.freeCount++] = slot;
  }

  /** Places event (t, k, slot) at heap position `i` or above it (moves parents down into the hole). */
  private siftUp(i: number, t: number, k: number, slot: number): void {
    const keys = this.keys;
    const heapSlot = this.heapSlot;
    const slotPos = this.slotPos;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = keys[2 * parent]!;
      if (pt < t || (pt === t && keys[2 * parent + 1]! < k)) break;
      keys[2 * i] = pt;
      keys[2 * i + 1] = keys[2 * parent + 1]!;
      const ps = heapSlot[parent]!;
      heapSlot[i] = ps;
      slotPos[ps] = i;
      i = parent;
    }
    keys[2 * i] = t;
    keys[2 * i + 1] = k;
    heapSlot[i] = slot;
    slotPos[slot] = i;
  }

  /** Places event (t, k, slot) at heap position `i` or below it, among the first `n` positions. */
  private siftDown(i: number, t: number, k: number, slot: number, n: number): void {
    const keys = this.keys;
    const heapSlot = this.heapSlot;
    const slotPos = this.slotPos;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let ct = keys[2 * child]!;
      let ck = keys[2 * child + 1]!;
      const right = child + 1;
      if (right < n) {
        const rt = keys[2 * right]!;
        const rk = keys[2 * right + 1]!;
        if (rt < ct || (rt === ct && rk < ck)) {
          child = right;
          ct = rt;
          ck = rk;
        }
      }
      if (t < ct || (t === ct && k < ck)) break;
      keys[2 * i] = ct;
      keys[2 * i + 1] = ck;
      const cs = heapSlot[child]!;
      heapSlot[i] = cs;
      slotPos[cs] = i;
      i = child;
    }
    keys[2 * i] = t;
    keys[2 * i + 1] = k;
    heapSlot[i] = slot;
    slotPos[slot] = i;
  }

  /** Doubles every array (heap positions and slots grow together: there are never more events than slots). */
  private grow(): void {
    const cap = this.slotPos.length;
    if (cap >= SLOT_SPAN) throw new Error(`more than ${SLOT_SPAN} events pending at once`);
    const next = Math.min(SLOT_SPAN, cap * 2);
    const keys = new Float64Array(2 * next);
    keys.set(this.keys);
    this.keys = keys;
    const heapSlot = new Int32Array(next);
    heapSlot.set(this.heapSlot);
    this.heapSlot = heapSlot;
    const slotPos = new Int32Array(next).fill(-1);
    slotPos.set(this.slotPos);
    this.slotPos = slotPos;
    const slotGen = new Int32Array(next).fill(1);
    slotGen.set(this.slotGen);
    this.slotGen = slotGen;
    const free = new Int32Array(next);
    free.set(this.free);
    this.free = free;
    for (let s = cap; s < next; s++) {
      this.handlers.push(undefined);
      this.payloads.push(undefined);
    }
  }
}

function noop(): void {}
