/**
 * The work-item pool: work items of recycled tickets are reused for later arrivals. A reused work
 * item must be exactly a fresh one (a field added later and left out of `reuseWorkItem` fails
 * here), and the pool hands back only what was given to it.
 */
import { describe, expect, it } from 'vitest';
import { reuseWorkItem, WorkItem, WorkItemPool } from '../../src/providers/work-item.ts';

const SENTINEL = Symbol('stale');

describe('work item pool', () => {
  it('reuseWorkItem resets every field', () => {
    const w = new WorkItem(1, 0, 0, 1, 1, 5, false, false, 3, 4, new Int32Array([1, 2]), 16);
    for (const key of Object.keys(w)) (w as unknown as Record<string, unknown>)[key] = SENTINEL;
    const hashes = new Int32Array([9]);
    reuseWorkItem(w, 7, 2, 12.5, 100, 20, Number.POSITIVE_INFINITY, true, true, 8, 64, hashes, 32);
    const fresh = new WorkItem(7, 2, 12.5, 100, 20, Number.POSITIVE_INFINITY, true, true, 8, 64, hashes, 32);
    expect({ ...w }).toEqual({ ...fresh });
    reuseWorkItem(w, 8, 0, 1, 1, 1, 2, false, false, -1, 0, undefined, 32);
    expect({ ...w }).toEqual({ ...new WorkItem(8, 0, 1, 1, 1, 2, false, false, -1, 0, undefined, 32) });
  });

  it('takes back what it was given, last given first', () => {
    const pool = new WorkItemPool();
    expect(pool.take()).toBeUndefined();
    const a = new WorkItem(1, 0, 0, 1, 1, 5, false, false);
    const b = new WorkItem(2, 0, 0, 1, 1, 5, false, false);
    pool.give(a);
    pool.give(b);
    expect(pool.take()).toBe(b);
    expect(pool.take()).toBe(a);
    expect(pool.take()).toBeUndefined();
  });
});
