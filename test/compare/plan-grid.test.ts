/**
 * gridOutcomes: every configuration of a plan's grid, run or pruned, with the outcome a run
 * implies by monotonicity (a configuration at least as large as a passing one passes, one at most
 * as large as a failing one fails; alternatives must match).
 */
import { describe, expect, it } from 'vitest';
import { type CapacityPlanResult, gridOutcomes, type PlanProbe } from '../../src/compare/plan.ts';

const probe = (key: string, pass: boolean): PlanProbe => {
  const [r, g] = key.split(',').map(Number) as [number, number];
  return {
    config: { replicas: String(r + 1), gpu: ['a', 'b'][g]! },
    key,
    pass,
    seedsPassed: pass ? 1 : 0,
    meanCostUsd: r + 1,
    sloMargin: pass ? 0.1 : -0.1,
    seeds: [],
  };
};

// replicas 1..4 (a range) x gpu a|b (alternatives); on a: 2 fails, 3 passes; on b: 4 fails.
const result: CapacityPlanResult = {
  schema: 'floodgate/capacity-plan@1',
  scenario: 's.yaml',
  seeds: [1],
  params: [
    { name: 'replicas', monotone: true, options: ['1', '2', '3', '4'] },
    { name: 'gpu', monotone: false, options: ['a', 'b'] },
  ],
  gridSize: 8,
  probed: 3,
  answer: null,
  frontier: [],
  probes: [probe('1,0', false), probe('2,0', true), probe('3,1', false)],
};

describe('gridOutcomes', () => {
  it('lists every configuration in grid order, run or pruned with the run that implies it', () => {
    const g = gridOutcomes(result);
    expect(g.map((x) => [x.key, x.how, x.pass, x.impliedBy])).toEqual([
      ['0,0', 'pruned', false, '1,0'],
      ['0,1', 'pruned', false, '3,1'],
      ['1,0', 'run', false, undefined],
      ['1,1', 'pruned', false, '3,1'],
      ['2,0', 'run', true, undefined],
      ['2,1', 'pruned', false, '3,1'],
      ['3,0', 'pruned', true, '2,0'],
      ['3,1', 'run', false, undefined],
    ]);
    expect(g[6]!.config).toEqual({ replicas: '4', gpu: 'a' });
  });

  it('says when nothing run implies an outcome, and stops at the limit', () => {
    const partial = { ...result, probes: [probe('2,0', true)] };
    const g = gridOutcomes(partial);
    expect(g.find((x) => x.key === '0,0')).toMatchObject({ how: 'pruned', pass: null });
    expect(g.find((x) => x.key === '3,1')).toMatchObject({ how: 'pruned', pass: null });
    expect(gridOutcomes(result, 3).map((x) => x.key)).toEqual(['0,0', '0,1', '1,0']);
  });
});
