/**
 * FinishHeap: a replica's decoding sequences by the iteration at whose end they finish, earliest
 * first, ties by admission order (a total order: admission numbers are unique per replica).
 *
 * Its keys live in typed arrays, so checking the earliest finish each iteration reads one number
 * and allocates nothing. An entry's item stays put in a slot while the heap moves the entry's keys
 * and slot number (numbers only: a sift writes no object references). Entries keep their own keys:
 * a sequence that left early (or rejoined with new keys) leaves a stale entry, which the replica
 * recognises and skips when it surfaces.
 */
export class FinishHeap<T> {
  private finish = new Float64Array(64);
  private admitted = new Float64Array(64);
  /** Heap order: the slot of each entry's item. */
  private slotOf = new Int32Array(64);
  /** By slot: the items; free slots hold undefined. */
  private items: (T | undefined)[] = new Array(64).fill(undefined);
  /** Free slots, last freed on top. Slots handed out: count + freeCount, numbered from 0. */
  private free = new Int32Array(64);
  private freeCount = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The item of entry `i` (0 .. size - 1), in no particular order (a scan for a rare question). */
  itemAt(i: number): T {
    return this.items[this.slotOf[i]!]!;
  }

  /** Finish iteration of the earliest entry; Infinity when empty. */
  peekFinish(): number {
    return this.count > 0 ? this.finish[0]! : Number.POSITIVE_INFINITY;
  }

  push(item: T, finishIteration: number, admitted: number): void {
    if (this.count === this.finish.length) this.grow();
    // Without a free slot every slot handed out is in use: the next is number count.
    const slot = this.freeCount > 0 ? this.free[--this.freeCount]! : this.count;
    this.items[slot] = item;
    const f = this.finish;
    const a = this.admitted;
    const slotOf = this.slotOf;
    // Sift up with a hole: parents move down until the new entry's place is found.
    let i = this.count++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pf = f[p]!;
      if (!(finishIteration < pf || (finishIteration === pf && admitted < a[p]!))) break;
      f[i] = pf;
      a[i] = a[p]!;
      slotOf[i] = slotOf[p]!;
      i = p;
    }
    f[i] = finishIteration;
    a[i] = admitted;
    slotOf[i] = slot;
  }

  /** Removes the earliest entry and returns its item (undefined when empty). */
  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const f = this.finish;
    const a = this.admitted;
    const slotOf = this.slotOf;
    const topSlot = slotOf[0]!;
    const top = this.items[topSlot];
    this.items[topSlot] = undefined; // no reference kept once the entry is gone
    const n = --this.count;
    this.free[this.freeCount++] = topSlot;
    if (n > 0) {
      const lf = f[n]!;
      const la = a[n]!;
      const ls = slotOf[n]!;
      // Sift down with a hole from the root: the earlier child moves up while it is before the last entry.
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        let cf = f[c]!;
        let ca = a[c]!;
        if (c + 1 < n) {
          const rf = f[c + 1]!;
          const ra = a[c + 1]!;
          if (rf < cf || (rf === cf && ra < ca)) {
            c++;
            cf = rf;
            ca = ra;
          }
        }
        if (!(cf < lf || (cf === lf && ca < la))) break;
        f[i] = cf;
        a[i] = ca;
        slotOf[i] = slotOf[c]!;
        i = c;
      }
      f[i] = lf;
      a[i] = la;
      slotOf[i] = ls;
    }
    return top;
  }

  clear(): void {
    this.items.fill(undefined);
    this.count = 0;
    this.freeCount = 0;
  }

  private grow(): void {
    const cap = this.finish.length * 2;
    const f = new Float64Array(cap);
    f.set(this.finish);
    this.finish = f;
    const a = new Float64Array(cap);
    a.set(this.admitted);
    this.admitted = a;
    const s = new Int32Array(cap);
    s.set(this.slotOf);
    this.slotOf = s;
    const free = new Int32Array(cap);
    free.set(this.free);
    this.free = free;
    const items: (T | undefined)[] = new Array(cap).fill(undefined);
    for (let i = 0; i < this.items.length; i++) items[i] = this.items[i];
    this.items = items;
  }
}
