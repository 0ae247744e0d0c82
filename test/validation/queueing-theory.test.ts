/**
 * Queueing-theory validation: with Poisson arrivals, no timeouts and no retries, a `queue`
 * provider is exactly M/G/c, so the simulator must reproduce the analytic results.
 *
 * Method: independent replications. Each model runs R seeds; the statistic of interest (mean
 * queue wait, a quantile, utilization...) is taken from each run, and the spread of those R
 * values gives the standard error of their mean. The analytic value must lie within
 * 4 standard errors (about the 99.7% level of a t distribution with R - 1 = 9 degrees of freedom)
 * plus a small floor for histogram resolution and JSON rounding. Each check also asserts that the
 * standard error is small relative to the value, so the tolerance stays tight enough to catch a
 * real modelling error (a wrong server count, service distribution or queue discipline).
 *
 * Parameters deliberately differ from scenarios/mmc.yaml (M/M/8, 7.2/s, 1 s), except in the last
 * block, which replicates that file itself: the contract scenario at 90% load, where a run's mean
 * wait is far noisier than at 70-80% and only long runs resolve it.
 */
import { join } from 'node:path';
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile, loadScenarioObject } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const REPLICATIONS = 10;
/** Tolerance in standard errors. */
const Z = 4;

// ---------------------------------------------------------------------------------------------
// Analytic formulas (times in ms, rates per ms)

/** Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda/mu (Erlang). */
function erlangC(c: number, a: number): number {
  // Erlang B by its stable recursion, then C = c B / (c - a (1 - B)).
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return (c * b) / (c - a * (1 - b));
}

/** M/M/c mean wait in queue: C(c, a) / (c mu - lambda). */
function mmcWq(c: number, lambda: number, mu: number): number {
  return erlangC(c, lambda / mu) / (c * mu - lambda);
}

/** M/M/c wait quantile for q > 1 - C: P(Wq > t) = C exp(-(c mu - lambda) t). */
function mmcWqQuantile(c: number, lambda: number, mu: number, q: number): number {
  const C = erlangC(c, lambda / mu);
  if (1 - q >= C) throw new Error('quantile falls in the atom at zero');
  return Math.log(C / (1 - q)) / (c * mu - lambda);
}

/** Pollaczek-Khinchine: M/G/1 mean wait = lambda E[S^2] / (2 (1 - rho)). */
function pkWq(lambda: number, meanS: number, secondMomentS: number): number {
  return (lambda * secondMomentS) / (2 * (1 - lambda * meanS));
}

/** M/M/c/K (K = servers + waiting room): state probabilities p_0..p_K. */
function mmckProbabilities(c: number, K: number, lambda: number, mu: number): number[] {
  const a = lambda / mu;
  const w: number[] = [1];
  for (let n = 1; n <= K; n++) w.push(w[n - 1]! * (n <= c ? a / n : a / c));
  const total = w.reduce((s, x) => s + x, 0);
  return w.map((x) => x / total);
}

// ---------------------------------------------------------------------------------------------
// Replications

interface Estimate {
  mean: number;
  se: number;
}

function estimate(runs: readonly RunResult[], pick: (r: RunResult) => number): Estimate {
  const xs = runs.map(pick);
  return { mean: mean(xs), se: sampleStandardDeviation(xs) / Math.sqrt(xs.length) };
}

/**
 * Asserts |estimate - theory| <= Z se + floor, and se <= maxRelSe x theory (the check is tight).
 */
function expectAgreement(est: Estimate, theory: number, opts: { floor: number; maxRelSe: number }): void {
  const detail = `simulated ${est.mean.toFixed(4)} +- ${est.se.toFixed(4)} (se), theory ${theory.toFixed(4)}`;
  expect(est.se / theory, `standard error too large for a meaningful check: ${detail}`).toBeLessThan(
    opts.maxRelSe,
  );
  expect(Math.abs(est.mean - theory), detail).toBeLessThanOrEqual(Z * est.se + opts.floor);
}

interface QueueModel {
  servers: number;
  service: unknown;
  /** Arrivals per second. */
  ratePerSec: number;
  duration: string;
  warmup: string;
  queueCapacity?: number;
}

async function replicate(m: QueueModel): Promise<RunResult[]> {
  const loaded = await loadScenarioObject({
    name: 'queueing-validation',
    duration: m.duration,
    warmup: m.warmup,
    // Long enough that every measured request finishes: an early cut would drop the longest waits.
    drain: '1h',
    // One-second windows: many gauge samples for the Little's-law check.
    metrics: { interval: '1s' },
    providers: [
      {
        name: 'server',
        kind: 'queue',
        servers: m.servers,
        service: m.service,
        ...(m.queueCapacity !== undefined ? { queueCapacity: m.queueCapacity } : {}),
      },
    ],
    workload: { classes: [{ name: 'job' }], arrivals: { process: 'poisson', rate: m.ratePerSec } },
  });
  const runs: RunResult[] = [];
  for (let seed = 1; seed <= REPLICATIONS; seed++) runs.push(await simulate(loaded, { seed }));
  for (const r of runs) expect(r.requests.unfinished).toBe(0);
  return runs;
}

const server = (r: RunResult) => r.providers['server']!;
const wqMean = (r: RunResult) => server(r).queueWait.mean!;

/**
 * Time average of a per-window gauge over windows that end inside [warmup, duration]: the gauges
 * are sampled at fixed times, so their average estimates the time-average queue length.
 */
function gaugeAverage(r: RunResult, series: 'queued' | 'inService'): number {
  const ts = r.timeseries;
  const values = ts.providers['server']![series];
  let sum = 0;
  let n = 0;
  ts.startMs.forEach((start, i) => {
    const end = start + ts.intervalMs;
    if (end > r.warmupMs && end <= r.durationMs) {
      sum += values[i] ?? 0;
      n++;
    }
  });
  return sum / n;
}

// ---------------------------------------------------------------------------------------------

describe('M/M/1 (lambda 7/s, mean service 100 ms, rho 0.7)', () => {
  const lambda = 7 / 1000;
  const mu = 1 / 100;
  let runs: RunResult[];
  beforeAll(async () => {
    runs = await replicate({
      servers: 1,
      service: { dist: 'exponential', mean: '100ms' },
      ratePerSec: 7,
      duration: '10000s',
      warmup: '60s',
    });
  });

  it('has mean queue wait Wq = rho / (mu - lambda) = 233.3 ms', () => {
    const theory = lambda / mu / (mu - lambda);
    expect(theory).toBeCloseTo(233.333, 3);
    expectAgreement(estimate(runs, wqMean), theory, { floor: 0.01, maxRelSe: 0.02 });
  });

  it('has mean response time W = 1 / (mu - lambda) = 333.3 ms', () => {
    expectAgreement(
      estimate(runs, (r) => r.latency.e2e.mean!),
      1 / (mu - lambda),
      { floor: 0.01, maxRelSe: 0.02 },
    );
  });

  it('has waiting-time quantiles from P(Wq > t) = rho exp(-(mu - lambda) t)', () => {
    // Bucketed quantiles are within 0.4% of the exact order statistic: floor 0.5% of the value.
    for (const [q, pick] of [
      [0.9, (r: RunResult) => server(r).queueWait.p90!],
      [0.99, (r: RunResult) => server(r).queueWait.p99!],
    ] as const) {
      const theory = mmcWqQuantile(1, lambda, mu, q);
      expectAgreement(estimate(runs, pick), theory, { floor: 0.005 * theory, maxRelSe: 0.03 });
    }
  });

  it('has server utilization rho = 0.7', () => {
    expectAgreement(
      estimate(runs, (r) => server(r).utilization),
      0.7,
      { floor: 1e-6, maxRelSe: 0.005 },
    );
  });
});

describe.each([
  // c, lambda per s, mean service ms, duration
  { c: 3, ratePerSec: 10.5, serviceMs: 200, duration: '4000s' }, // rho 0.70
  { c: 10, ratePerSec: 16, serviceMs: 500, duration: '8000s' }, // rho 0.80
])('M/M/$c (lambda $ratePerSec/s, mean service $serviceMs ms)', ({ c, ratePerSec, serviceMs, duration }) => {
  const lambda = ratePerSec / 1000;
  const mu = 1 / serviceMs;
  let runs: RunResult[];
  beforeAll(async () => {
    runs = await replicate({
      servers: c,
      service: { dist: 'exponential', mean: serviceMs },
      ratePerSec,
      duration,
      warmup: '60s',
    });
  });

  it('has the Erlang C mean queue wait', () => {
    expectAgreement(estimate(runs, wqMean), mmcWq(c, lambda, mu), { floor: 0.01, maxRelSe: 0.025 });
  });

  it('has mean response time Wq + 1/mu', () => {
    const theory = mmcWq(c, lambda, mu) + 1 / mu;
    expectAgreement(
      estimate(runs, (r) => r.latency.e2e.mean!),
      theory,
      { floor: 0.01, maxRelSe: 0.01 },
    );
  });

  it('has the Erlang C 99th percentile of the queue wait', () => {
    const theory = mmcWqQuantile(c, lambda, mu, 0.99);
    expectAgreement(
      estimate(runs, (r) => server(r).queueWait.p99!),
      theory,
      { floor: 0.005 * theory, maxRelSe: 0.03 },
    );
  });

  it("obeys Little's law: time-average busy servers = lambda / mu and queue length = lambda Wq", () => {
    expectAgreement(
      estimate(runs, (r) => gaugeAverage(r, 'inService')),
      lambda / mu,
      { floor: 1e-6, maxRelSe: 0.01 },
    );
    expectAgreement(
      estimate(runs, (r) => gaugeAverage(r, 'queued')),
      lambda * mmcWq(c, lambda, mu),
      { floor: 1e-6, maxRelSe: 0.05 },
    );
  });
});

describe('M/D/1 (lambda 6/s, service exactly 100 ms, rho 0.6)', () => {
  const lambda = 6 / 1000;
  const d = 100;
  let runs: RunResult[];
  beforeAll(async () => {
    runs = await replicate({
      servers: 1,
      service: { dist: 'deterministic', value: '100ms' },
      ratePerSec: 6,
      duration: '4000s',
      warmup: '60s',
    });
  });

  it('has the Pollaczek-Khinchine mean queue wait rho / (2 mu (1 - rho)) = 75 ms', () => {
    const rho = lambda * d;
    const theory = rho / (2 * (1 / d) * (1 - rho));
    expect(theory).toBeCloseTo(75, 9);
    expectAgreement(estimate(runs, wqMean), theory, { floor: 0.01, maxRelSe: 0.015 });
  });

  it('has every response time equal to its wait plus the 100 ms service', () => {
    for (const r of runs) {
      expect(r.latency.e2e.min).toBeGreaterThanOrEqual(d);
      expect(r.latency.e2e.mean! - r.latency.queueWait.mean!).toBeCloseTo(d, 3);
      expect(server(r).serviceTime.min).toBe(d);
      expect(server(r).serviceTime.max).toBe(d);
    }
  });
});

describe.each([
  {
    label: 'uniform service on [20 ms, 180 ms)',
    service: { dist: 'uniform', min: '20ms', max: '180ms' },
    ratePerSec: 7,
    meanS: 100,
    secondMoment: 100 ** 2 + 160 ** 2 / 12,
  },
  {
    label: 'gamma service, mean 100 ms, cv 1.5',
    service: { dist: 'gamma', mean: '100ms', cv: 1.5 },
    ratePerSec: 5,
    meanS: 100,
    secondMoment: 100 ** 2 * (1 + 1.5 ** 2),
  },
  {
    label: 'lognormal service, median 80 ms, p99 300 ms',
    service: { dist: 'lognormal', median: '80ms', p99: '300ms' },
    ratePerSec: 7,
    // mu = ln 80, sigma = ln(300/80) / z_0.99; E[S] = e^(mu + sigma^2/2), E[S^2] = e^(2 mu + 2 sigma^2).
    meanS: Math.exp(Math.log(80) + (Math.log(300 / 80) / 2.3263478740408408) ** 2 / 2),
    secondMoment: Math.exp(2 * Math.log(80) + 2 * (Math.log(300 / 80) / 2.3263478740408408) ** 2),
  },
])('M/G/1 with $label', ({ service, ratePerSec, meanS, secondMoment }) => {
  const lambda = ratePerSec / 1000;
  let runs: RunResult[];
  beforeAll(async () => {
    runs = await replicate({ servers: 1, service, ratePerSec, duration: '4000s', warmup: '60s' });
  });

  it('has the Pollaczek-Khinchine mean queue wait lambda E[S^2] / (2 (1 - rho))', () => {
    expectAgreement(estimate(runs, wqMean), pkWq(lambda, meanS, secondMoment), {
      floor: 0.01,
      maxRelSe: 0.03,
    });
  });

  it('has utilization rho = lambda E[S]', () => {
    expectAgreement(
      estimate(runs, (r) => server(r).utilization),
      lambda * meanS,
      { floor: 1e-6, maxRelSe: 0.01 },
    );
  });
});

describe('M/M/2/5 (2 servers, waiting room 3, lambda 18/s, mean service 100 ms)', () => {
  const c = 2;
  const K = 5;
  const lambda = 18 / 1000;
  const mu = 1 / 100;
  const p = mmckProbabilities(c, K, lambda, mu);
  let runs: RunResult[];
  beforeAll(async () => {
    runs = await replicate({
      servers: c,
      service: { dist: 'exponential', mean: '100ms' },
      ratePerSec: 18,
      queueCapacity: K - c,
      duration: '1500s',
      warmup: '10s',
    });
  });

  it('turns away the arrivals that find the system full: blocking probability p_K', () => {
    expect(p[K]).toBeCloseTo(0.141077, 5);
    // A turned-away attempt is a 503 (overloaded); without retries the request fails.
    for (const r of runs) expect(server(r).statuses['overloaded']).toBe(r.requests.failed);
    expectAgreement(
      estimate(runs, (r) => r.requests.failed / r.requests.offered),
      p[K]!,
      { floor: 1e-6, maxRelSe: 0.02 },
    );
  });

  it('has mean queue wait of admitted arrivals Lq / (lambda (1 - p_K))', () => {
    const lq = p.reduce((s, pn, n) => s + Math.max(0, n - c) * pn, 0);
    const theory = lq / (lambda * (1 - p[K]!));
    expectAgreement(estimate(runs, wqMean), theory, { floor: 0.01, maxRelSe: 0.015 });
  });
});

describe('M/M/8 at 90%: scenarios/mmc.yaml itself (lambda 7.2/s, mean service 1 s), 2M arrivals a run', () => {
  const c = 8;
  const lambda = 7.2 / 1000;
  const mu = 1 / 1000;
  let runs: RunResult[];
  beforeAll(async () => {
    // 2M arrivals (77.2 h) a run: at 90% load the waits are correlated over long congestion
    // episodes, and one 10 h run's mean wait strays by several percent (test/scenarios/mmc.test.ts).
    const loaded = await loadScenarioFile(join(import.meta.dirname, '../../scenarios/mmc.yaml'), {
      overrides: ['duration=277778s', 'warmup=1h', 'drain=2h'].map(parseOverride),
    });
    runs = [];
    for (let seed = 1; seed <= REPLICATIONS; seed++) runs.push(await simulate(loaded, { seed }));
    for (const r of runs) expect(r.requests.unfinished).toBe(0);
  }, 120_000);

  it('has the Erlang C mean queue wait its header documents, 876.9 ms', () => {
    const theory = mmcWq(c, lambda, mu);
    expect(theory).toBeCloseTo(876.9, 1);
    expectAgreement(estimate(runs, wqMean), theory, { floor: 0.01, maxRelSe: 0.01 });
  });

  it('has the Erlang C 90th and 99th percentiles of the queue wait', () => {
    for (const [q, pick] of [
      [0.9, (r: RunResult) => server(r).queueWait.p90!],
      [0.99, (r: RunResult) => server(r).queueWait.p99!],
    ] as const) {
      const theory = mmcWqQuantile(c, lambda, mu, q);
      expectAgreement(estimate(runs, pick), theory, { floor: 0.005 * theory, maxRelSe: 0.02 });
    }
  });

  it('has server utilization lambda / (c mu) = 0.9', () => {
    expectAgreement(
      estimate(runs, (r) => server(r).utilization),
      0.9,
      { floor: 1e-6, maxRelSe: 0.002 },
    );
  });
});
