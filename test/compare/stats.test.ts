import { describe, expect, it } from 'vitest';
import { estimate, pairedDifference, tQuantile975 } from '../../src/compare/stats.ts';

describe('estimate', () => {
  it('gives the mean and the t-based 95% half-width', () => {
    // mean 3, sample sd sqrt(2.5) = 1.5811, t(4) = 2.776: half-width 2.776 x 1.5811 / sqrt(5) = 1.963
    const e = estimate([1, 2, 3, 4, 5]);
    expect(e.mean).toBe(3);
    expect(e.ci95).toBeCloseTo((2.776 * Math.sqrt(2.5)) / Math.sqrt(5), 10);
    expect(e.n).toBe(5);
  });

  it('ignores non-finite values and handles one or none', () => {
    expect(estimate([2, Number.NaN])).toEqual({ mean: 2, ci95: 0, n: 1 });
    expect(estimate([]).n).toBe(0);
  });

  it('uses the normal quantile past 30 degrees of freedom', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(30)).toBe(2.042);
    expect(tQuantile975(100)).toBe(1.96);
  });
});

describe('pairedDifference', () => {
  it('finds a small consistent difference significant although the means overlap', () => {
    const a = [10.1, 20.1, 30.1, 40.1];
    const b = [10, 20, 30, 40];
    expect(estimate(a).ci95).toBeGreaterThan(0.1);
    const d = pairedDifference(a, b);
    expect(d.mean).toBeCloseTo(0.1, 10);
    expect(d.significant).toBe(true);
  });

  it('does not call noise significant', () => {
    const d = pairedDifference([1, 2, 3, 4], [2, 1, 4, 3]);
    expect(d.mean).toBe(0);
    expect(d.significant).toBe(false);
  });
});
