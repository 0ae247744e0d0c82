/** WindowCounts: the recorder's per-window counters, one typed-array cell each. */
import { describe, expect, it } from 'vitest';
import { WindowCounts } from '../../src/metrics/timeseries.ts';

describe('WindowCounts', () => {
  it('gives counters side by side, closes each into its own series and restarts at zero', () => {
    const counts = new WindowCounts(2);
    const a = counts.counter();
    const b = counts.counter();
    expect([a.cell, b.cell, counts.size]).toEqual([0, 1, 2]);
    counts.cells[a.cell]! += 3;
    counts.cells[b.cell]! += 0.25;
    expect([a.value, b.value]).toEqual([3, 0.25]);
    counts.close(0);
    counts.cells[b.cell]!++;
    counts.close(2);
    expect(a.series.toArray(3)).toEqual([3, 0, 0]);
    expect(b.series.toArray(3)).toEqual([0.25, 0, 1]);
    expect([a.value, b.value]).toEqual([0, 0]);
  });

  it('refuses more counters than it has cells (a bug in the caller)', () => {
    const counts = new WindowCounts(1);
    counts.counter();
    expect(() => counts.counter()).toThrow(/more than 1 counters/);
  });
});
