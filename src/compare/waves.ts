/**
 * Adaptive searches (capacity bisection, multi-parameter plans) in waves of parallel shards.
 *
 * A search is a pure function of what it knows: given pass/fail per probe key it names the next
 * probe it needs, or null when it has its answer. Run alone, it probes one key at a time. Run in
 * waves, each wave probes the keys the search may need next, whatever the outcomes: the first
 * `budget` keys of the tree of possible futures, breadth first (the next key, then the keys after
 * each of its outcomes, ...). Merging a wave adds its probes to what is known, and the search is
 * replayed: the probes it asks for, in order, are exactly those an unsharded run makes, so the
 * result is the same; speculative probes it never asks for are dropped from the result.
 */

export type NextProbe<C extends { key: string }> = (known: ReadonlyMap<string, boolean>) => C | null;

/** Keys a wave should probe: up to `budget` possible next probes, nearest first. */
export function speculate<C extends { key: string }>(
  next: NextProbe<C>,
  known: ReadonlyMap<string, boolean>,
  budget: number,
): C[] {
  const out: C[] = [];
  const keys = new Set<string>();
  const queue: ReadonlyMap<string, boolean>[] = [known];
  // Each expansion adds one probe or ends a branch; the cap keeps a degenerate search bounded.
  for (let steps = 0; queue.length > 0 && out.length < budget && steps < 64 * budget + 64; steps++) {
    const state = queue.shift()!;
    const c = next(state);
    if (!c) continue;
    if (!keys.has(c.key)) {
      keys.add(c.key);
      out.push(c);
    }
    for (const pass of [true, false]) queue.push(new Map([...state, [c.key, pass]]));
  }
  return out;
}

/** Replays a search over known outcomes: the probes it asks for, in order, and whether it is done. */
export function replay<C extends { key: string }>(
  next: NextProbe<C>,
  known: ReadonlyMap<string, boolean>,
): { asked: C[]; done: boolean } {
  const asked: C[] = [];
  const seen = new Map<string, boolean>();
  for (;;) {
    const c = next(seen);
    if (!c) return { asked, done: true };
    const pass = known.get(c.key);
    if (pass === undefined) return { asked, done: false };
    asked.push(c);
    seen.set(c.key, pass);
  }
}
