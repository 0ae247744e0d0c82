import { describe, expect, it } from 'vitest';
import { downsample, downsampleFactor, groupSizes } from '../../src/report/downsample.ts';
import { fmtClock, fmtDuration, fmtRate } from '../../src/report/format.ts';

describe('downsample(values, factor, aggregate)', () => {
  it('sums counts, keeps the maximum of gauges and the mean of p50s, skipping nulls', () => {
    expect(downsample([1, 2, null, 4, 5], 2, 'sum')).toEqual([3, 4, 5]);
    expect(downsample([1, 7, null, 4, 5], 2, 'max')).toEqual([7, 4, 5]);
    expect(downsample([1, 2, null, null, 6], 2, 'mean')).toEqual([1.5, null, 6]);
  });

  it('returns a copy when nothing is merged', () => {
    const xs = [1, null, 3];
    expect(downsample(xs, 1, 'sum')).toEqual(xs);
    expect(downsample(xs, 1, 'sum')).not.toBe(xs);
  });

  it('merges just enough windows to fit, the last group possibly short', () => {
    expect(downsampleFactor(1500, 1500)).toBe(1);
    expect(downsampleFactor(86_400, 1500)).toBe(58);
    expect(groupSizes(5, 2)).toEqual([2, 2, 1]);
  });
});

describe('report formats', () => {
  it('writes durations as scenario authors do and clock times as m:ss', () => {
    expect([0, 850, 45_000, 90_000, 240_000, 250_000, 5_400_000, 86_400_000].map(fmtDuration)).toEqual([
      '0',
      '850ms',
      '45s',
      '1m30s',
      '4m',
      '4m10s',
      '1h30m',
      '1d',
    ]);
    expect([250_000, 3_723_000].map(fmtClock)).toEqual(['4:10', '1:02:03']);
    expect([0, 0.125, 3.25, 40, 1250].map(fmtRate)).toEqual([
      '0/s',
      '0.125/s',
      '3.25/s',
      '40.0/s',
      '1,250/s',
    ]);
  });
});
