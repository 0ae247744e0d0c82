import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dominatedBy, dominates, frontierIndices } from '../../src/compare/frontier.ts';

describe('dominates', () => {
  it('needs at least as good on every criterion and better on one', () => {
    expect(dominates([1, 1], [2, 2])).toBe(true);
    expect(dominates([1, 2], [2, 2])).toBe(true);
    expect(dominates([2, 2], [2, 2])).toBe(false); // a tie dominates nothing
    expect(dominates([1, 3], [2, 2])).toBe(false); // a trade-off
    expect(dominates([2, 2], [1, 1])).toBe(false);
  });

  it('counts a missing value as the worst', () => {
    expect(dominates([1, 1], [1, Number.NaN])).toBe(true);
    expect(dominates([1, Number.NaN], [1, 1])).toBe(false);
    expect(dominates([Number.NaN], [Number.NaN])).toBe(false);
  });
});

describe('dominatedBy on a hand-built set', () => {
  // (cost, -acceptable share, latency): lower is better on each.
  const points = [
    [10, -0.9, 100], // 0 A: cheap and good
    [20, -0.95, 100], // 1 B: dearer, better: a trade-off with A
    [20, -0.95, 100], // 2 C: the same as B (a tie: both on the frontier)
    [15, -0.85, 120], // 3 D: dominated by A on every criterion
    [10, -0.9, 150], // 4 E: equal to A but slower: dominated by A only
    [30, -0.95, 90], // 5 F: dearest, same quality as B, faster: on the frontier
    [25, -0.95, 100], // 6 G: dearer than B at the same quality and latency: dominated by B and C
  ];

  it('names exactly who dominates whom', () => {
    expect(dominatedBy(points)).toEqual([[], [], [], [0], [0], [], [1, 2]]);
    expect(frontierIndices(points)).toEqual([0, 1, 2, 5]);
  });

  it('keeps every point of an all-equal set', () => {
    expect(
      frontierIndices([
        [1, 2],
        [1, 2],
        [1, 2],
      ]),
    ).toEqual([0, 1, 2]);
  });

  it('keeps a single point and an empty set', () => {
    expect(frontierIndices([[5, 5, 5]])).toEqual([0]);
    expect(frontierIndices([])).toEqual([]);
  });
});

describe('dominatedBy (property)', () => {
  // Small integer coordinates so ties and equal points are common.
  const pointSets = fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }), {
    minLength: 1,
    maxLength: 12,
  });

  it('no frontier point is dominated, and every other point is dominated by a frontier point', () => {
    fc.assert(
      fc.property(pointSets, (points) => {
        const front = new Set(frontierIndices(points));
        expect(front.size).toBeGreaterThan(0);
        points.forEach((p, i) => {
          const beaten = points.some((q) => dominates(q, p));
          expect(beaten).toBe(!front.has(i));
          // Domination is transitive: a dominated point is dominated by one on the frontier too.
          if (!front.has(i)) expect([...front].some((j) => dominates(points[j]!, p))).toBe(true);
        });
      }),
      { seed: 20, numRuns: 300 },
    );
  });
});
