/**
 * Capacity plans over autoscaler settings, with cost as the objective: on autoscale-spike the
 * plan over autoscaling.min x autoscaling.target finds the cheapest passing setting an exhaustive
 * grid finds, though the smallest passing minimum is not the cheapest (a queue builds and the HPA
 * overshoots); the cost it minimizes is the billed fleet cost.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capacityStudy, type PlanSearch, runCapacityStudy } from '../../src/compare/capacity.ts';
import { runJobs } from '../../src/compare/compare.ts';
import type { CapacityPlanResult } from '../../src/compare/plan.ts';
import { candidateOf, isAutoscalerSetting, parseParam } from '../../src/compare/plan.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const SPIKE = join(import.meta.dirname, '../../scenarios/autoscale-spike.yaml');

describe('ranges over autoscaler settings', () => {
  it('are searched as alternatives: neither cost nor SLOs are monotone in them', () => {
    expect(parseParam('providers[pool].autoscaling.min=2..4')).toMatchObject({
      name: 'providers[pool].autoscaling.min',
      monotone: false,
    });
    expect(parseParam('providers[0].autoscaling.target=16..18').options.map((o) => o.label)).toEqual([
      '16',
      '17',
      '18',
    ]);
    // Static replicas keep their bisection.
    expect(parseParam('providers[0].replicas=2..4').monotone).toBe(true);
    expect(isAutoscalerSetting('providers[pool].autoscaling.behavior.scaleUp.stabilizationWindow')).toBe(
      true,
    );
    expect(isAutoscalerSetting('providers[pool].autoscalingX')).toBe(false);
  });
});

describe('a plan over autoscaling.min x autoscaling.target on autoscale-spike', () => {
  it('finds the cheapest passing setting of the exhaustive grid, which is not the smallest minimum', async () => {
    const params = [
      parseParam('providers[pool].autoscaling.min=2..5'),
      parseParam('providers[pool].autoscaling.target=16,24'),
    ];
    const search: PlanSearch = { kind: 'plan', params };
    const study = capacityStudy({ file: SPIKE, seeds: [1], baseOverrides: [], search });
    const plan = (await runCapacityStudy(study, 2)) as CapacityPlanResult;

    const keys = params[0]!.options.flatMap((_, m) => params[1]!.options.map((_, t) => `${m},${t}`));
    const figures = await runJobs(
      keys.map((key) => ({
        file: SPIKE,
        overrides: candidateOf(search, key.split(',').map(Number)).overrides,
        seed: 1,
        entry: 0,
      })),
      2,
    );
    const grid = keys.map((key, i) => ({ key, pass: figures[i]!.pass, cost: figures[i]!.costUsd }));
    const cheapest = grid.filter((g) => g.pass).sort((a, b) => a.cost - b.cost)[0]!;
    expect(plan.gridSize).toBe(8);
    expect(plan.probed).toBe(8);
    expect(plan.answer?.key).toBe(cheapest.key);
    expect(plan.answer?.costUsd).toBe(cheapest.cost);
    // min 4 at target 24 (the scenario's documented warm buffer).
    expect(plan.answer?.config).toEqual({
      'providers[pool].autoscaling.min': '4',
      'providers[pool].autoscaling.target': '24',
    });
    // The premise a bisection would rest on fails: at target 24 min 3 passes but costs more than min 4.
    const at = (k: string) => grid.find((g) => g.key === k)!;
    expect(at('0,1').pass).toBe(false);
    expect(at('1,1').pass).toBe(true);
    expect(at('1,1').cost).toBeGreaterThan(at('2,1').cost);

    // The cost minimized is the billed fleet cost (self-hosted: no token costs).
    const loaded = await loadScenarioFile(SPIKE, { overrides: candidateOf(search, [2, 1]).overrides });
    const r = await simulate(loaded, { seed: 1 });
    const d = r.providers['pool']!.details!;
    expect(r.cost.totalUsd).toBe(0);
    expect(plan.answer?.costUsd).toBe(r.cost.fleetUsd);
    expect(r.cost.fleetUsd).toBeCloseTo((d['replicaHoursBilled'] as number) * 2.5, 5);
    // Not the replicas at the end x the run's hours.
    expect(r.cost.fleetUsd).not.toBeCloseTo(((d['replicas'] as number) * 2.5 * 16) / 60, 2);
  }, 120_000); // 16 grid runs of a 16-minute simulated scenario: ~1 s each alone
});
