/**
 * The beta difficulty distribution (`{ dist: beta, alpha, beta }`): its CDF against the binomial
 * sum that equals it for whole-number shapes, its quantile against its CDF, the mean of drawn
 * difficulties against alpha / (alpha + beta), a run's acceptable share against the CDF at the
 * model's capability, and its validation.
 */
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../src/engine/rng.ts';
import { ScenarioInvalidError } from '../../src/errors.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { betaCdf, betaQuantile, logGamma } from '../../src/workload/beta.ts';
import { DifficultyDraws } from '../../src/workload/quality.ts';
import { qualityScenario, runQuality } from './harness.ts';

/** I_x(a, b) for whole a, b: P(at least a successes in a + b - 1 trials of probability x). */
function binomialTail(x: number, a: number, b: number): number {
  const n = a + b - 1;
  let sum = 0;
  let choose = 1; // C(n, 0)
  for (let j = 0; j <= n; j++) {
    if (j >= a) sum += choose * x ** j * (1 - x) ** (n - j);
    choose = (choose * (n - j)) / (j + 1);
  }
  return sum;
}

describe('beta CDF and quantile', () => {
  it('matches the binomial sum for whole-number shapes', () => {
    for (const [a, b] of [
      [1, 1],
      [2, 5],
      [5, 2],
      [3, 3],
      [10, 30],
    ] as const)
      for (const x of [0.01, 0.2, 0.4, 0.5, 0.77, 0.99])
        expect(betaCdf(x, a, b), `I_${x}(${a}, ${b})`).toBeCloseTo(binomialTail(x, a, b), 12);
  });

  it('has the closed forms of Beta(1/2, 1/2) and Beta(a, 1)', () => {
    // The arcsine distribution: (2 / pi) asin(sqrt(x)); Beta(a, 1): x^a.
    for (const x of [0.05, 0.3, 0.5, 0.9]) {
      expect(betaCdf(x, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(x)), 12);
      expect(betaCdf(x, 2.5, 1)).toBeCloseTo(x ** 2.5, 12);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 12);
  });

  it('inverts the CDF', () => {
    for (const [a, b] of [
      [0.3, 0.7],
      [2, 5],
      [40, 3],
    ] as const) {
      const q = betaQuantile(a, b);
      for (const u of [0.001, 0.1, 0.5, 0.9, 0.999]) expect(betaCdf(q(u), a, b)).toBeCloseTo(u, 10);
      expect(q(0)).toBe(0);
    }
  });
});

describe('beta difficulty', () => {
  it('draws difficulties whose mean is alpha / (alpha + beta)', () => {
    const alpha = 2;
    const beta = 5;
    const draws = new DifficultyDraws(
      {
        difficulty: { chat: { dist: 'beta', alpha, beta } },
        models: {},
        defaultCapability: 1,
        estimator: { correlation: 1 },
        sessions: {},
      },
      ['chat'],
      new RngStreams(7),
    );
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += draws.draw(0).difficulty;
    const mean = alpha / (alpha + beta);
    // Standard deviation of Beta(2, 5): sqrt(ab / ((a + b)^2 (a + b + 1))) = 0.160; 4 standard errors.
    const sd = Math.sqrt((alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1)));
    expect(Math.abs(sum / n - mean)).toBeLessThan((4 * sd) / Math.sqrt(n));
  });

  it('gives an acceptable share of I_c(alpha, beta) for a model of capability c', async () => {
    const s = qualityScenario({
      weak: 0.4,
      routing: { policy: 'threshold-router', params: { threshold: 1 } },
    });
    s.quality = { ...s.quality, difficulty: { chat: { dist: 'beta', alpha: 2, beta: 5 } } };
    const r = await runQuality(s);
    const expected = binomialTail(0.4, 2, 5); // 0.76672
    const n = r.requests.offered;
    expect(Math.abs(r.quality!.acceptableShare - expected)).toBeLessThan(
      4 * Math.sqrt((expected * (1 - expected)) / n),
    );
  });
});

describe('beta validation', () => {
  const BASE = `name: q
duration: 10s
providers:
  - { name: weak, kind: api, models: [small] }
workload:
  classes:
    - { name: chat, arrivals: { rate: 5/s } }
`;
  async function problems(yaml: string): Promise<string> {
    try {
      await loadScenarioText(BASE + yaml, 'scenario.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioInvalidError);
      return (e as Error).message;
    }
    throw new Error('expected the scenario to be invalid');
  }

  it.each([
    [
      '{ dist: beta, alpha: 0, beta: 2 }',
      'quality.difficulty.chat.alpha: expected a number above 0 and at most 10000',
    ],
    [
      '{ dist: beta, alpha: 2, beta: -1 }',
      'quality.difficulty.chat.beta: expected a number above 0 and at most 10000',
    ],
    [
      '{ dist: beta, alpha: 2, beta: 20000 }',
      'quality.difficulty.chat.beta: expected a number above 0 and at most 10000',
    ],
    [
      '{ dist: beta, alpha: 2 }',
      'quality.difficulty.chat.beta: expected beta, a number above 0 and at most 10000',
    ],
    [
      '{ dist: beta, beta: 2 }',
      'quality.difficulty.chat.alpha: expected alpha, a number above 0 and at most 10000',
    ],
    ['{ dist: beta, alpha: 2, beta: 3, mean: 0.4 }', "unknown key 'mean'"],
  ])('refuses %s', async (spec, message) => {
    expect(await problems(`quality: { difficulty: { chat: ${spec} } }\n`)).toContain(message);
  });

  it('loads a valid beta', async () => {
    const { scenario } = await loadScenarioText(
      `${BASE}quality: { difficulty: { chat: { dist: beta, alpha: 2, beta: 5 } } }\n`,
      'scenario.yaml',
    );
    expect(scenario.quality!.difficulty['chat']).toEqual({ dist: 'beta', alpha: 2, beta: 5 });
  });
});
