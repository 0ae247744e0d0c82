import fc from 'fast-check';
import { mean, sampleCorrelation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { type Random, RngStreams } from '../../src/engine/rng.ts';

function take(r: Random, n: number): number[] {
  return Array.from({ length: n }, () => r());
}

describe('RngStreams', () => {
  it('gives the same sequence for the same seed and name, in any RngStreams instance', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string({ maxLength: 30 }), (seed, name) => {
        expect(take(new RngStreams(seed).get(name), 20)).toEqual(take(new RngStreams(seed).get(name), 20));
      }),
      { numRuns: 100 },
    );
  });

  it('returns one stream object per name, continuing where it left off', () => {
    const streams = new RngStreams(5);
    const a = streams.get('a');
    const first = take(a, 3);
    expect(streams.get('a')).toBe(a);
    const next = take(streams.get('a'), 3);
    expect([...first, ...next]).toEqual(take(new RngStreams(5).get('a'), 6));
  });

  it('keeps the seeded sequences of earlier versions (saved results stay reproducible)', () => {
    expect(take(new RngStreams(1).get('workload/arrivals'), 3)).toEqual([
      0.5086291348561645, 0.009181257104501128, 0.10474925767630339,
    ]);
    expect(take(new RngStreams(42).get('provider/gpt-4o'), 3)).toEqual([
      0.21441287593916059, 0.2513819965533912, 0.7954051573760808,
    ]);
  });

  it('never shifts one stream by drawing from another (common random numbers)', () => {
    const alone = take(new RngStreams(9).get('workload/arrivals'), 1000);
    const streams = new RngStreams(9);
    const arrivals = streams.get('workload/arrivals');
    const policy = streams.get('policy/routing');
    const interleaved: number[] = [];
    for (let i = 0; i < 1000; i++) {
      interleaved.push(arrivals());
      for (let k = 0; k < i % 4; k++) policy();
    }
    expect(interleaved).toEqual(alone);
  });

  it('gives different, uncorrelated sequences for different names and for different seeds', () => {
    const n = 50_000;
    const pairs: [Random, Random][] = [
      [new RngStreams(1).get('workload/arrivals'), new RngStreams(1).get('workload/classes')],
      [new RngStreams(1).get('provider/a'), new RngStreams(1).get('provider/b')],
      [new RngStreams(1).get('x'), new RngStreams(2).get('x')],
      // Seeds and names are joined with ':': (1, '2:x') must not collide with (12, 'x') and the like.
      [new RngStreams(12).get('x'), new RngStreams(1).get('2:x')],
    ];
    for (const [a, b] of pairs) {
      const xs = take(a, n);
      const ys = take(b, n);
      expect(xs).not.toEqual(ys);
      // Under independence the sample correlation is ~N(0, 1/n): 4 sd is 0.018.
      expect(Math.abs(sampleCorrelation(xs, ys))).toBeLessThan(4 / Math.sqrt(n));
      // Lag-1 autocorrelation of each stream is ~0 too.
      expect(Math.abs(sampleCorrelation(xs.slice(1), xs.slice(0, -1)))).toBeLessThan(4 / Math.sqrt(n));
    }
  });

  it('draws uniformly on [0, 1)', () => {
    const n = 100_000;
    const xs = take(new RngStreams(3).get('uniformity'), n);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(mean(xs) - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    // Chi-square over 20 equal bins: 19 degrees of freedom, 99.9th percentile 43.82.
    const bins = new Array<number>(20).fill(0);
    for (const x of xs) bins[Math.floor(x * 20)]!++;
    const expected = n / 20;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(43.82);
  });

  it('remembers its seed', () => {
    expect(new RngStreams(77).seed).toBe(77);
  });
});
