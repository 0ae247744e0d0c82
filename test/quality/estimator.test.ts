/**
 * The difficulty estimate: a Gaussian copula whose accuracy is a correlation or a concordance
 * AUC (docs/concepts/quality.md), built on the standard normal's CDF and quantile.
 */
import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from '../../src/engine/dist/index.ts';
import { RngStreams } from '../../src/engine/rng.ts';
import { parseScenario } from '../../src/scenario/schema.ts';
import { DifficultyDraws } from '../../src/workload/quality.ts';

function draws(estimator: { auc?: number; correlation?: number }, n: number) {
  const parsed = parseScenario({
    name: 'e',
    duration: 1000,
    providers: [{ name: 'p', kind: 'api' }],
    workload: { classes: [{ name: 'chat', arrivals: { rate: 1 } }] },
    quality: { estimator },
  });
  if (!parsed.success) throw new Error(parsed.error.message);
  const d = new DifficultyDraws(parsed.data.quality!, ['chat'], new RngStreams(7));
  return Array.from({ length: n }, () => ({ ...d.draw(0) }));
}

describe('the standard normal', () => {
  it('has the CDF and quantile of the tables, and they invert each other', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-2.326348)).toBeCloseTo(0.01, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424, 5);
    for (const p of [1e-9, 0.001, 0.02, 0.3, 0.5, 0.77, 0.99, 0.999999])
      expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('the difficulty estimate', () => {
  it('is the difficulty at correlation 1, and uniform like it at any correlation', () => {
    for (const x of draws({ correlation: 1 }, 1000)) expect(x.estimate).toBe(x.difficulty);
    const xs = draws({ correlation: 0.5 }, 20_000).map((x) => x.estimate);
    const below = (q: number) => xs.filter((x) => x < q).length / xs.length;
    for (const q of [0.1, 0.5, 0.9]) expect(Math.abs(below(q) - q)).toBeLessThan(0.015);
  });

  it.each([0.6, 0.8, 0.95])('ranks two requests right with probability auc %s', (auc) => {
    const xs = draws({ auc }, 20_000);
    let right = 0;
    let pairs = 0;
    for (let i = 0; i + 1 < xs.length; i += 2) {
      const a = xs[i]!;
      const b = xs[i + 1]!;
      if (a.difficulty === b.difficulty) continue;
      pairs++;
      if (a.difficulty > b.difficulty === a.estimate > b.estimate) right++;
    }
    // 10,000 pairs: 4 standard errors of a share near 0.8 is about 0.016.
    expect(Math.abs(right / pairs - auc)).toBeLessThan(0.02);
  });
});
