import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { highWord, LogHistogram, roundTo, summarize } from '../../src/engine/histogram.ts';

const QS = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
/** Smallest value the histogram resolves (ms); smaller ones share its bucket. */
const MIN_VALUE = 2 ** -10;

/** The ceil(q n)-th smallest value: the quantile the histogram approximates. */
function exactQuantile(sortedXs: readonly number[], q: number): number {
  if (q <= 0) return sortedXs[0]!;
  if (q >= 1) return sortedXs.at(-1)!;
  return sortedXs[Math.ceil(q * sortedXs.length) - 1]!;
}

function histogramOf(xs: readonly number[], subBits?: number): LogHistogram {
  const h = new LogHistogram(subBits);
  for (const x of xs) h.record(x);
  return h;
}

const latencies = fc.array(
  fc.oneof(
    fc.double({ min: MIN_VALUE, max: 1e9, noNaN: true }),
    fc.double({ min: 1, max: 5000, noNaN: true }),
    fc.integer({ min: 1, max: 100 }),
  ),
  { minLength: 1, maxLength: 2000 },
);

const snapshot = (h: LogHistogram) => ({
  count: h.count,
  min: h.min,
  max: h.max,
  quantiles: QS.map((q) => h.quantile(q)),
});

describe('LogHistogram', () => {
  it('puts every quantile within 0.4% (half a bucket) of the exact order statistic', () => {
    fc.assert(
      fc.property(latencies, (xs) => {
        const h = histogramOf(xs);
        const s = [...xs].sort((a, b) => a - b);
        for (const q of [0, ...QS, 1]) {
          const exact = exactQuantile(s, q);
          const got = h.quantile(q);
          expect(Math.abs(got - exact), `q ${q}: ${got} vs ${exact}`).toBeLessThanOrEqual(
            exact * 2 ** -8 * (1 + 1e-12),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is well inside 1% on a million lognormal latencies', () => {
    // Deterministic pseudo-random lognormal values (median 200 ms).
    let state = 12345;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return (state + 0.5) / 2 ** 31;
    };
    const xs: number[] = [];
    for (let i = 0; i < 1_000_000; i++)
      xs.push(200 * Math.exp(0.8 * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next())));
    const h = histogramOf(xs);
    xs.sort((a, b) => a - b);
    for (const q of QS) {
      const exact = exactQuantile(xs, q);
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(0.01);
    }
  });

  it('keeps the coarser resolution it is given: subBits 4 is within 3.2%', () => {
    fc.assert(
      fc.property(latencies, (xs) => {
        const h = histogramOf(xs, 4);
        const s = [...xs].sort((a, b) => a - b);
        for (const q of QS) {
          const exact = exactQuantile(s, q);
          expect(Math.abs(h.quantile(q) - exact)).toBeLessThanOrEqual(exact * 2 ** -5 * (1 + 1e-12));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reports values below 1 us, and zero, within 1 us', () => {
    const h = histogramOf([0, 0, 0, 1e-5, 0.0005, 3]);
    expect(h.min).toBe(0);
    expect(h.quantile(0.5)).toBeLessThanOrEqual(MIN_VALUE * 1.01);
    expect(h.quantile(0.5)).toBeGreaterThanOrEqual(0);
    expect(h.quantile(0.99)).toBe(3);
    // All zeros: clamped to [min, max], so exactly 0.
    expect(histogramOf([0, 0]).quantile(0.5)).toBe(0);
  });

  it('answers q <= 0 with the min, q >= 1 with the max, and NaN when empty', () => {
    const h = histogramOf([5, 7, 1e12]);
    expect(h.quantile(0)).toBe(5);
    expect(h.quantile(-1)).toBe(5);
    expect(h.quantile(1)).toBe(1e12);
    // 1e12 ms (32 years) is still inside the resolved range (below 2^41 ms).
    expect(Math.abs(h.quantile(0.99) - 1e12)).toBeLessThanOrEqual(1e12 * 2 ** -8);
    const empty = new LogHistogram();
    expect(empty.quantile(0.5)).toBeNaN();
    expect(empty.mean).toBeNaN();
    expect(empty.count).toBe(0);
  });

  it('has an exact mean, min and max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 500 }),
        (xs) => {
          const h = histogramOf(xs);
          // Integer sums are exact in a double, so the mean must be too.
          expect(h.mean).toBe(xs.reduce((a, x) => a + x, 0) / xs.length);
          expect(h.total).toBe(xs.reduce((a, x) => a + x, 0));
          expect(h.min).toBe(Math.min(...xs));
          expect(h.max).toBe(Math.max(...xs));
          expect(h.count).toBe(xs.length);
        },
      ),
    );
  });

  it('keeps the mean of a million latencies to 1e-12 relative', () => {
    const h = new LogHistogram();
    // Neumaier-compensated reference sum.
    let sum = 0;
    let compensation = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const x = 0.1 + ((i * 7919) % 100_003) * 0.37;
      h.record(x);
      const t = sum + x;
      compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sum = t;
    }
    const exact = (sum + compensation) / 1_000_000;
    expect(Math.abs(h.mean - exact) / exact).toBeLessThan(1e-12);
  });

  it('records a value n times exactly as n separate records', () => {
    const a = new LogHistogram();
    const b = new LogHistogram();
    a.record(12.5, 7);
    a.record(400, 3);
    for (let i = 0; i < 7; i++) b.record(12.5);
    for (let i = 0; i < 3; i++) b.record(400);
    expect(snapshot(a)).toEqual(snapshot(b));
    expect(a.mean).toBe(b.mean);
  });

  it('records through recordOne and recordHigh exactly as through record, at any resolution', () => {
    fc.assert(
      fc.property(latencies, fc.integer({ min: 3, max: 9 }), (xs, subBits) => {
        const plain = new LogHistogram(subBits);
        const one = new LogHistogram(subBits);
        const high = new LogHistogram(subBits);
        for (const x of [...xs, 0, 1e-9, 2 ** 50, Number.NaN]) {
          plain.record(x);
          one.recordOne(x);
          high.recordHigh(x, highWord(x));
        }
        expect(snapshot(one)).toEqual(snapshot(plain));
        expect(snapshot(high)).toEqual(snapshot(plain));
        expect(Object.is(one.total, plain.total) && Object.is(high.total, plain.total)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('merges into exactly what recording everything in one histogram gives', () => {
    fc.assert(
      fc.property(latencies, latencies, (xs, ys) => {
        const merged = histogramOf(xs);
        merged.merge(histogramOf(ys));
        const all = histogramOf([...xs, ...ys]);
        expect(snapshot(merged)).toEqual(snapshot(all));
        expect(Math.abs(merged.mean - all.mean)).toBeLessThanOrEqual(Math.abs(all.mean) * 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('merges an empty histogram as a no-op, into an empty one as a copy', () => {
    const h = histogramOf([1, 2, 3]);
    const before = snapshot(h);
    h.merge(new LogHistogram());
    expect(snapshot(h)).toEqual(before);
    const empty = new LogHistogram();
    empty.merge(h);
    expect(snapshot(empty)).toEqual(before);
    expect(empty.mean).toBe(2);
  });

  it('refuses to merge histograms of different resolution', () => {
    expect(() => new LogHistogram(7).merge(new LogHistogram(4))).toThrow(/different resolution/);
  });

  it('resets to empty, and afterwards behaves like a new histogram', () => {
    fc.assert(
      fc.property(latencies, latencies, (xs, ys) => {
        const h = histogramOf(xs);
        h.reset();
        expect(h.count).toBe(0);
        expect(h.quantile(0.5)).toBeNaN();
        expect(h.mean).toBeNaN();
        expect(h.min).toBe(Number.POSITIVE_INFINITY);
        expect(h.max).toBe(Number.NEGATIVE_INFINITY);
        for (const y of ys) h.record(y);
        const fresh = histogramOf(ys);
        expect(snapshot(h)).toEqual(snapshot(fresh));
        expect(h.mean).toBe(fresh.mean);
      }),
      { numRuns: 100 },
    );
  });
});

describe('summarize', () => {
  it('gives nulls and count 0 for an empty histogram', () => {
    expect(summarize(new LogHistogram())).toEqual({
      count: 0,
      mean: null,
      min: null,
      p50: null,
      p90: null,
      p95: null,
      p99: null,
      p999: null,
      max: null,
    });
  });

  it('rounds to 4 decimals and keeps the exact min, max and mean', () => {
    const s = summarize(histogramOf([1.234567, 2.5, 10.000049]));
    expect(s.count).toBe(3);
    expect(s.min).toBe(1.2346);
    expect(s.max).toBe(10);
    expect(s.mean).toBe(roundTo((1.234567 + 2.5 + 10.000049) / 3, 4));
    expect(s.p50).toBeCloseTo(2.5, 1);
  });

  it('roundTo rounds half up to the given number of decimals', () => {
    expect(roundTo(1.23456, 4)).toBe(1.2346);
    expect(roundTo(2.5, 0)).toBe(3);
    expect(roundTo(-0.00004, 4)).toBe(-0);
    expect(roundTo(123.456, 2)).toBe(123.46);
  });
});
