/**
 * Distributions against theory: sample means within 4 standard errors, sample quantiles within 4
 * standard errors of the order statistic, and the whole shape by a Kolmogorov-Smirnov test at the
 * 0.1% level (D < 1.95 / sqrt(n)). Seeds are fixed, so every figure here is reproducible.
 */
import { errorFunction, gammaln, mean, quantileSorted, sampleStandardDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import {
  createDistribution,
  type Distribution,
  deterministic,
  empirical,
  exponential,
  gamma,
  lognormal,
  lognormalFromQuantiles,
  normal,
  standardNormal,
  uniform,
  Z_99,
} from '../../src/engine/dist/index.ts';
import { type Random, RngStreams } from '../../src/engine/rng.ts';

const N = 200_000;
const KS_CRITICAL = 1.95 / Math.sqrt(N);

function rng(name: string, seed = 2024): Random {
  return new RngStreams(seed).get(`test/${name}`);
}

function draw(d: Distribution, name: string, n = N): Float64Array {
  const r = rng(name);
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = d.sample(r);
  return xs;
}

function sorted(xs: Float64Array): number[] {
  return Array.from(xs).sort((a, b) => a - b);
}

/** Kolmogorov-Smirnov statistic of sorted samples against a continuous CDF. */
function ksStatistic(sortedXs: readonly number[], cdf: (x: number) => number): number {
  const n = sortedXs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sortedXs[i]!);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}

const normalCdf = (z: number) => 0.5 * (1 + errorFunction(z / Math.SQRT2));

/** Regularized lower incomplete gamma P(k, x), by its power series (fine for moderate x). */
function gammaCdf(shape: number, x: number): number {
  if (x <= 0) return 0;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 10_000 && term > 1e-17 * sum; n++) {
    term *= x / (shape + n);
    sum += term;
  }
  return Math.exp(shape * Math.log(x) - x - gammaln(shape + 1)) * sum;
}

/** Asserts the sample mean is within 4 standard errors of `theory` (sd: the distribution's). */
function expectMean(xs: Float64Array, theory: number, sd: number): void {
  const m = mean(Array.from(xs));
  expect(Math.abs(m - theory), `sample mean ${m} vs ${theory}`).toBeLessThan((4 * sd) / Math.sqrt(xs.length));
}

/**
 * Asserts the sample q-quantile is within 4 standard errors of the true one: the order statistic
 * has SE sqrt(q (1 - q) / n) / f(x_q), f the density at the quantile.
 */
function expectQuantile(sortedXs: readonly number[], q: number, theory: number, density: number): void {
  const x = quantileSorted(sortedXs as number[], q);
  const se = Math.sqrt((q * (1 - q)) / sortedXs.length) / density;
  expect(Math.abs(x - theory), `sample q${q} ${x} vs ${theory} (se ${se})`).toBeLessThan(4 * se);
}

describe('exponential', () => {
  const d = exponential(250);
  const xs = draw(d, 'exponential');
  const s = sorted(xs);

  it('reports its mean and has sample mean 250 and sd 250', () => {
    expect(d.kind).toBe('exponential');
    expect(d.mean).toBe(250);
    expectMean(xs, 250, 250);
    expect(sampleStandardDeviation(Array.from(xs)) / 250).toBeCloseTo(1, 2);
  });

  it('has median 250 ln 2 and p99 250 ln 100', () => {
    expectQuantile(s, 0.5, 250 * Math.LN2, 0.5 / 250);
    expectQuantile(s, 0.99, 250 * Math.log(100), 0.01 / 250);
  });

  it('passes a Kolmogorov-Smirnov test against 1 - exp(-x / 250)', () => {
    expect(s[0]!).toBeGreaterThanOrEqual(0);
    expect(ksStatistic(s, (x) => 1 - Math.exp(-x / 250))).toBeLessThan(KS_CRITICAL);
  });
});

describe('uniform', () => {
  const d = uniform(10, 30);
  const xs = draw(d, 'uniform');
  const s = sorted(xs);

  it('stays in [10, 30) with mean 20', () => {
    expect(d.mean).toBe(20);
    expect(s[0]!).toBeGreaterThanOrEqual(10);
    expect(s.at(-1)!).toBeLessThan(30);
    expectMean(xs, 20, 20 / Math.sqrt(12));
  });

  it('passes a Kolmogorov-Smirnov test against (x - 10) / 20', () => {
    expect(ksStatistic(s, (x) => (x - 10) / 20)).toBeLessThan(KS_CRITICAL);
  });

  it('is always its value when min = max', () => {
    expect(draw(uniform(7, 7), 'uniform-degenerate', 100).every((x) => x === 7)).toBe(true);
  });
});

describe('normal', () => {
  it('standardNormal has mean 0, variance 1 and passes a Kolmogorov-Smirnov test', () => {
    const r = rng('standard-normal');
    const xs = Float64Array.from({ length: N }, () => standardNormal(r));
    expectMean(xs, 0, 1);
    expect(sampleStandardDeviation(Array.from(xs))).toBeCloseTo(1, 2);
    expect(ksStatistic(sorted(xs), normalCdf)).toBeLessThan(KS_CRITICAL);
  });

  it('normal(100, 15) far from 0 is an ordinary normal', () => {
    const d = normal(100, 15);
    const xs = draw(d, 'normal');
    expect(d.mean).toBe(100);
    expectMean(xs, 100, 15);
    expect(ksStatistic(sorted(xs), (x) => normalCdf((x - 100) / 15))).toBeLessThan(KS_CRITICAL);
  });

  it('is truncated at 0: normal(5, 10) is 0 with probability Phi(-0.5) and never negative', () => {
    const d = normal(5, 10);
    const xs = draw(d, 'normal-truncated');
    const zeros = xs.filter((x) => x === 0).length / N;
    const p = normalCdf(-0.5);
    expect(p).toBeCloseTo(0.308538, 5);
    expect(Math.abs(zeros - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / N));
    expect(xs.reduce((a, x) => Math.min(a, x), Number.POSITIVE_INFINITY)).toBe(0);
    // The reported mean is the untruncated one, as documented.
    expect(d.mean).toBe(5);
  });
});

describe('lognormal', () => {
  it('lognormal(mu, sigma) passes a Kolmogorov-Smirnov test and has mean exp(mu + sigma^2 / 2)', () => {
    const mu = Math.log(50);
    const sigma = 0.8;
    const d = lognormal(mu, sigma);
    const xs = draw(d, 'lognormal');
    const m = Math.exp(mu + sigma ** 2 / 2);
    expect(d.mean).toBeCloseTo(m, 12);
    expectMean(xs, m, m * Math.sqrt(Math.exp(sigma ** 2) - 1));
    expect(ksStatistic(sorted(xs), (x) => normalCdf((Math.log(x) - mu) / sigma))).toBeLessThan(KS_CRITICAL);
  });

  it('from median 400 and p99 1500 hits those quantiles, with sigma 0.568', () => {
    const d = lognormalFromQuantiles(400, 1500);
    const sigma = Math.log(1500 / 400) / Z_99;
    expect(sigma).toBeCloseTo(0.568168, 6);
    expect(d.mean).toBeCloseTo(400 * Math.exp(sigma ** 2 / 2), 9);
    // Not 469 as src/engine/dist/lognormal.ts says: 400 exp(0.568^2 / 2) = 470.07.
    expect(d.mean).toBeCloseTo(470.065, 2);
    const s = sorted(draw(d, 'lognormal-quantiles'));
    // Density of a lognormal at x: phi(z) / (x sigma).
    const density = (x: number) =>
      Math.exp(-(((Math.log(x) - Math.log(400)) / sigma) ** 2) / 2) / (Math.sqrt(2 * Math.PI) * x * sigma);
    expectQuantile(s, 0.5, 400, density(400));
    expectQuantile(s, 0.99, 1500, density(1500));
  });

  it('uses the exact z of the 99th percentile', () => {
    expect(normalCdf(Z_99)).toBeCloseTo(0.99, 8);
  });
});

describe('gamma', () => {
  it.each([
    { cv: 0.5, shape: 4 },
    { cv: 1, shape: 1 },
    { cv: 2, shape: 0.25 },
  ])(
    'with mean 100 and cv $cv (shape $shape) has that mean and cv, and passes a Kolmogorov-Smirnov test',
    ({ cv, shape }) => {
      const d = gamma(100, cv);
      expect(d.mean).toBe(100);
      const xs = draw(d, `gamma-${cv}`);
      const arr = Array.from(xs);
      expectMean(xs, 100, 100 * cv);
      // SE of the sample variance: sigma^2 sqrt((2 + 6/k) / n) (excess kurtosis of a gamma is 6/k),
      // so the cv's relative SE is half of that.
      const cvSe = 0.5 * cv * Math.sqrt((2 + 6 / shape) / N);
      const sampleCv = sampleStandardDeviation(arr) / mean(arr);
      expect(Math.abs(sampleCv - cv), `sample cv ${sampleCv}`).toBeLessThan(4 * cvSe);
      const scale = 100 / shape;
      expect(ksStatistic(sorted(xs), (x) => gammaCdf(shape, x / scale))).toBeLessThan(KS_CRITICAL);
    },
  );

  it('checks its own reference CDF: P(1, x) = 1 - e^-x and P(4, 4) = 0.566530', () => {
    expect(gammaCdf(1, 2.5)).toBeCloseTo(1 - Math.exp(-2.5), 12);
    expect(gammaCdf(4, 4)).toBeCloseTo(0.56653, 5);
  });
});

describe('empirical', () => {
  it('resamples each observation with equal probability and reports their mean', () => {
    const values = [3, 5, 5, 11, 40];
    const d = empirical(values);
    expect(d.mean).toBe(64 / 5);
    const xs = draw(d, 'empirical');
    const p = 1 / values.length;
    for (const v of [3, 11, 40]) {
      const share = xs.filter((x) => x === v).length / N;
      expect(Math.abs(share - p), `share of ${v}`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / N));
    }
    const fives = xs.filter((x) => x === 5).length / N;
    expect(Math.abs(fives - 2 * p)).toBeLessThan(4 * Math.sqrt((2 * p * (1 - 2 * p)) / N));
  });

  it('copies its input: later changes to the array do not leak in', () => {
    const values = [1, 2, 3];
    const d = empirical(values);
    values[0] = 1000;
    expect(d.mean).toBe(2);
    expect(draw(d, 'empirical-copy', 1000).every((x) => x >= 1 && x <= 3)).toBe(true);
  });
});

describe('deterministic', () => {
  it('always returns its value and draws nothing from the stream', () => {
    let draws = 0;
    const counting: Random = () => {
      draws++;
      return 0.5;
    };
    const d = deterministic(125);
    expect(d.mean).toBe(125);
    for (let i = 0; i < 10; i++) expect(d.sample(counting)).toBe(125);
    expect(draws).toBe(0);
  });
});

describe('createDistribution', () => {
  it('builds each spec into the distribution it names, with the same draws', () => {
    const cases: [Parameters<typeof createDistribution>[0], Distribution][] = [
      [{ dist: 'deterministic', value: 3 }, deterministic(3)],
      [{ dist: 'exponential', mean: 9 }, exponential(9)],
      [{ dist: 'uniform', min: 1, max: 4 }, uniform(1, 4)],
      [{ dist: 'normal', mean: 50, stddev: 5 }, normal(50, 5)],
      [{ dist: 'lognormal', median: 400, p99: 1500 }, lognormalFromQuantiles(400, 1500)],
      [{ dist: 'lognormal', mu: 1, sigma: 0.3 }, lognormal(1, 0.3)],
      [{ dist: 'gamma', mean: 10, cv: 0.7 }, gamma(10, 0.7)],
      [{ dist: 'empirical', values: [1, 2, 7] }, empirical([1, 2, 7])],
    ];
    for (const [spec, expected] of cases) {
      const d = createDistribution(spec);
      expect(d.kind).toBe(spec.dist);
      expect(d.mean).toBe(expected.mean);
      const a = rng(`spec-${spec.dist}`);
      const b = rng(`spec-${spec.dist}`);
      for (let i = 0; i < 20; i++) expect(d.sample(a)).toBe(expected.sample(b));
    }
  });
});
