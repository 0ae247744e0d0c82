/**
 * Multi-parameter capacity plans: the search over replicas x GPUs per replica (tensor parallel 1
 * or 2, with its price) on the bundled gpu-pool scenario finds the cheapest passing configuration an exhaustive grid finds,
 * running fewer configurations; the frontier holds no dominated point.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capacityStudy, type PlanSearch, runCapacityStudy } from '../../src/compare/capacity.ts';
import { runJobs } from '../../src/compare/compare.ts';
import type { CapacityPlanResult } from '../../src/compare/plan.ts';
import { candidateOf, parseParam } from '../../src/compare/plan.ts';
import { FloodgateError } from '../../src/errors.ts';

const GPU_POOL = join(import.meta.dirname, '../../scenarios/gpu-pool.yaml');

describe('parseParam', () => {
  it('reads ranges (monotone), lists and bundles of values', () => {
    const r = parseParam('providers[0].replicas=2..4');
    expect(r).toMatchObject({ name: 'providers[0].replicas', monotone: true });
    expect(r.options.map((o) => o.overrides)).toEqual([
      [{ path: 'providers[0].replicas', value: 2 }],
      [{ path: 'providers[0].replicas', value: 3 }],
      [{ path: 'providers[0].replicas', value: 4 }],
    ]);
    const l = parseParam('gateway.routing=round-robin,{policy: least-outstanding}');
    expect(l.monotone).toBe(false);
    expect(l.options.map((o) => o.overrides[0]!.value)).toEqual([
      'round-robin',
      { policy: 'least-outstanding' },
    ]);
    const b = parseParam(
      '[{providers[0].gpu: a100-80gb, providers[0].costPerReplicaHour: 1.2}, {"providers[0].gpu": h100-80gb}]',
    );
    expect(b.options.map((o) => o.overrides)).toEqual([
      [
        { path: 'providers[0].gpu', value: 'a100-80gb' },
        { path: 'providers[0].costPerReplicaHour', value: 1.2 },
      ],
      [{ path: 'providers[0].gpu', value: 'h100-80gb' }],
    ]);
    expect(() => parseParam('replicas')).toThrow(FloodgateError);
    expect(() => parseParam('[1, 2]')).toThrow(/list of maps/);
    expect(() => parseParam('a=1.5..3')).toThrow(/expected|whole numbers|YAML/);
  });
});

describe('a two-parameter plan on gpu-pool', () => {
  it('finds the cheapest passing configuration of an exhaustive grid, with fewer runs', async () => {
    const params = [
      parseParam('providers[0].replicas=2..10'),
      parseParam(
        '[{providers[0].tensorParallel: 1, providers[0].costPerReplicaHour: 2.5}, {providers[0].tensorParallel: 2, providers[0].costPerReplicaHour: 5}]',
      ),
    ];
    const baseOverrides: { path: string; value: unknown }[] = [];
    const search: PlanSearch = { kind: 'plan', params };
    const study = capacityStudy({ file: GPU_POOL, seeds: [1], baseOverrides, search });
    const plan = (await runCapacityStudy(study, 2)) as CapacityPlanResult;

    // Every configuration of the grid, run.
    const keys = params[0]!.options.flatMap((_, r) => params[1]!.options.map((_, g) => `${r},${g}`));
    const figures = await runJobs(
      keys.map((key) => ({
        file: GPU_POOL,
        overrides: [...baseOverrides, ...candidateOf(search, key.split(',').map(Number)).overrides],
        seed: 1,
        entry: 0,
      })),
      2,
    );
    const grid = keys.map((key, i) => ({ key, pass: figures[i]!.pass, cost: figures[i]!.costUsd }));
    const cheapest = grid.filter((g) => g.pass).sort((a, b) => a.cost - b.cost)[0]!;
    // The premise: more replicas are never worse on this scenario.
    for (const g of grid) {
      const [r, gpu] = g.key.split(',').map(Number) as [number, number];
      const more = grid.find((h) => h.key === `${r + 1},${gpu}`);
      if (g.pass && more) expect(more.pass).toBe(true);
    }
    expect(plan.gridSize).toBe(18);
    // The cheapest cost; at a tie of costs, any configuration at it.
    const cheapestKeys = grid.filter((g) => g.pass && g.cost === cheapest.cost).map((g) => g.key);
    expect(cheapestKeys).toContain(plan.answer?.key);
    expect(plan.answer?.costUsd).toBe(cheapest.cost);
    expect(plan.probed).toBeLessThan(plan.gridSize);
    // Both replica sizes have a passing count here, so the price decided, not feasibility.
    expect(new Set(grid.filter((g) => g.pass).map((g) => g.key.split(',')[1]))).toEqual(new Set(['0', '1']));
    // The frontier: sorted by cost, margins rising, the answer on it, nothing run dominating a point.
    const margin = (m: number | null) => m ?? Number.NEGATIVE_INFINITY;
    for (let i = 1; i < plan.frontier.length; i++) {
      expect(plan.frontier[i]!.costUsd).toBeGreaterThanOrEqual(plan.frontier[i - 1]!.costUsd);
      expect(margin(plan.frontier[i]!.sloMargin)).toBeGreaterThan(margin(plan.frontier[i - 1]!.sloMargin));
    }
    for (const f of plan.frontier)
      expect(
        plan.probes.some(
          (p) =>
            p.meanCostUsd <= f.costUsd &&
            margin(p.sloMargin) >= margin(f.sloMargin) &&
            (p.meanCostUsd < f.costUsd || margin(p.sloMargin) > margin(f.sloMargin)),
        ),
      ).toBe(false);
    expect(plan.frontier.map((f) => f.key)).toContain(plan.answer!.key);
  }, 180_000); // 18 grid runs plus the plan's own of a 10-minute GPU scenario: ~50 s alone, more beside other workers
});
