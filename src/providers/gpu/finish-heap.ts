/**
 * FinishHeap: a replica's decoding sequences by the iteration at whose end they finish, earliest
 * first, ties by admission order (a total order: admission numbers are unique per replica).
 *
 * Its keys live in typed arrays, so checking the earliest finish each iteration reads one number
 * and allocates nothing; each position's item sits beside its keys. Entries keep their own keys:
 * a sequence that left early (or rejoined with new keys) leaves a stale entry, which the replica
 * recognises and skips when it surfaces.
 */
export class FinishHeap<T> {
  private finish = new Float64Array(64);
  private admitted = new Float64Array(64);
  private items: (T | undefined)[] = new Array(64).fill(undefined);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The item of entry `i` (0 .. size - 1), in no particular order (a scan for a rare question). */
  itemAt(i: number): T {
    return this.items[i]!;
  }

  /** Finish iteration of the earliest entry; Infinity when empty. */
  peekFinish(): number {
    return this.count > 0 ? this.finish[0]! : Number.POSITIVE_INFINITY;
  }

  push(item: T, finishIteration: number, admitted: number): void {
    if (this.count === this.finish.length) this.grow();
    const f = this.finish;
    const a = this.admitted;
    const items = this.items;
    // Sift up with a hole: parents move down until the new entry's place is found.
    let i = this.count++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pf = f[p]!;
      if (!(finishIteration < pf || (finishIteration === pf && admitted < a[p]!))) break;
      f[i] = pf;
      a[i] = a[p]!;
      items[i] = items[p];
      i = p;
    }
    f[i] = finishIteration;
    a[i] = admitted;
    items[i] = item;
  }

  /** Removes the earliest entry and returns its item (undefined when empty). */
  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const f = this.finish;
    const a = this.admitted;
    const items = this.items;
    const top = items[0];
    const n = --this.count;
    const lf = f[n]!;
    const la = a[n]!;
    const last = items[n];
    items[n] = undefined; // no reference kept past the heap's end
    if (n > 0) {
      // Sift down with a hole from the root: the earlier child moves up while it is before `last`.
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
        items[i] = items[c];
        i = c;
      }
      f[i] = lf;
      a[i] = la;
      items[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.fill(undefined, 0, this.count);
    this.count = 0;
  }

  private grow(): void {
    const cap = this.finish.length * 2;
    const f = new Float64Array(cap);
    f.set(this.finish);
    this.finish = f;
    const a = new Float64Array(cap);
    a.set(this.admitted);
    this.admitted = a;
    const items: (T | undefined)[] = new Array(cap).fill(undefined);
    for (let i = 0; i < this.count; i++) items[i] = this.items[i];
    this.items = items;
  }
}
