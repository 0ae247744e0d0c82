import { describe, expect, it } from 'vitest';
import { busyThreshold, loadVerdict } from '../../bench/machine-load.ts';

describe('bench machine-load verdict', () => {
  it('allows the bench its own core and half of the rest (at least half a core)', () => {
    expect(busyThreshold(1)).toBe(1.5);
    expect(busyThreshold(2)).toBe(1.5);
    expect(busyThreshold(4)).toBe(2.5);
    expect(busyThreshold(16)).toBe(8.5);
  });

  it('is quiet while every sample stays at or under the threshold, and names the peak', () => {
    const v = loadVerdict(
      [
        { label: 'floor', load1: 0.2 },
        { label: 'gpu', load1: 1.5 },
        { label: 'end', load1: 1.1 },
      ],
      2,
    );
    expect(v.busy).toBe(false);
    expect(v.peak).toEqual({ label: 'gpu', load1: 1.5 });
  });

  it('is busy when one sample is above it (a helper building beside the bench: load 3 on 2 cores)', () => {
    const v = loadVerdict(
      [
        { label: 'floor', load1: 0.4 },
        { label: 'floodgate', load1: 3.12 },
      ],
      2,
    );
    expect(v.busy).toBe(true);
    expect(v.peak?.label).toBe('floodgate');
  });

  it('judges nothing busy without samples', () => {
    expect(loadVerdict([], 2)).toEqual({ busy: false, peak: undefined, threshold: 1.5 });
  });
});
