/**
 * Autoscaling in a whole run: a pool whose autoscaler never changes the count serves exactly as a
 * fixed pool does (the machinery perturbs nothing), only autoscaled pools get replica series and
 * a summary line, and the fleet cost is the integral of the replicas billed.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/summary.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { timeCharts } from '../../src/report/run-report.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { run } from '../providers/harness.ts';
import { expectConserved } from './conservation.ts';

function scenario(autoscaling: object | undefined, replicas = 2): ScenarioInput {
  return {
    name: 'autoscale',
    duration: '4m',
    seed: 4,
    metrics: { interval: '30s' },
    providers: [
      {
        name: 'pool',
        kind: 'gpu',
        model: 'llama-3.1-8b',
        gpu: 'h100-80gb',
        replicas,
        costPerReplicaHour: 2,
        ...(autoscaling ? { autoscaling } : {}),
      },
    ],
    workload: {
      arrivals: {
        rate: '6/s',
        timeline: [{ spike: { at: '1m', multiplier: 3, rampUp: '10s', hold: '1m', rampDown: '10s' } }],
      },
      classes: [{ name: 'c', promptTokens: 1000, outputTokens: 200 }],
    },
  } as ScenarioInput;
}

/** The result without what only autoscaling adds (details, replica series). */
function served(r: RunResult) {
  const { details: _d, ...pool } = r.providers['pool']!;
  const {
    replicasDesired: _a,
    replicasStarting: _b,
    replicasReady: _c,
    fleetCostUsd: _e,
    ...series
  } = r.timeseries.providers['pool']!;
  return { requests: r.requests, latency: r.latency, classes: r.classes, pool, series, events: r.events };
}

describe('autoscaling in a run', () => {
  it('an autoscaler held at the starting count serves exactly as the fixed pool', async () => {
    const fixed = await run(scenario(undefined));
    const held = await run(scenario({ min: 2, max: 2, target: 1 }));
    const a = served(held);
    const b = served(fixed);
    expect({ ...a, events: 0 }).toEqual({ ...b, events: 0 }); // scrapes and syncs are extra events
    expect(held.cost.fleetUsd).toBeCloseTo(fixed.cost.fleetUsd!, 9);
    expect(fixed.timeseries.providers['pool']!.replicasDesired).toBeUndefined();
    expect(formatSummary(fixed)).not.toMatch(/autoscaled/);
  });

  it('scales on the spike, bills every replica from its request, and says so in the summary', async () => {
    const r = await run(
      scenario(
        {
          min: 1,
          max: 8,
          target: 4,
          provisioning: '30s',
          modelLoad: '10s',
          scaleDown: { stabilizationWindow: '30s' },
        },
        1,
      ),
    );
    const s = r.timeseries.providers['pool']!;
    const desired = s.replicasDesired as number[];
    expect(Math.max(...desired)).toBeGreaterThan(1);
    expect(desired.at(-1)).toBe(1);
    const d = r.providers['pool']!.details!;
    expect(d['replicaHoursBilled'] as number).toBeGreaterThan(d['replicaHoursUp'] as number);
    expect(d['fleetCostUsd']).toBeCloseTo((d['replicaHoursBilled'] as number) * 2, 9);
    expect(r.cost.fleetUsd).toBeCloseTo(d['fleetCostUsd'] as number, 5);
    // The cost series rises window by window to the run's fleet cost.
    const cost = s.fleetCostUsd as number[];
    for (let i = 1; i < cost.length; i++) expect(cost[i]!).toBeGreaterThanOrEqual(cost[i - 1]!);
    expect(formatSummary(r)).toMatch(
      /autoscaled pool: peak \d+ replicas, 1 at the end \(\d+ in all\), \d+\.\d\d replica-hours billed, fleet \$/,
    );
    // Nothing failed while replicas joined and drained.
    expect(r.requests.failed).toBe(0);
    expect(r.providers['pool']!.statuses['server_error']).toBeUndefined();
  });

  it('the HTML report charts replicas and fleet cost over time for autoscaled pools only', async () => {
    const input = scenario({ min: 1, max: 8, target: 4, provisioning: '30s' }, 1);
    const r = await run(input);
    const charts = timeCharts(r, validateScenario(input)).charts;
    const replicas = charts.find((c) => c.id === 'replicas')!;
    expect(replicas.series.map((s) => s.label)).toEqual(['pool desired', 'pool starting', 'pool ready']);
    expect(charts.some((c) => c.id === 'fleet-cost')).toBe(true);
    const fixedInput = scenario(undefined);
    const fixed = timeCharts(await run(fixedInput), validateScenario(fixedInput)).charts;
    expect(fixed.some((c) => c.id === 'replicas' || c.id === 'fleet-cost')).toBe(false);
  });

  it.each([1, 2, 3])(
    'seed %i: conservation holds while replicas join and drain all run long (fast scaling, a sawtooth load)',
    async (seed) => {
      const input = {
        ...scenario({
          min: 1,
          max: 6,
          target: 3,
          syncPeriod: '5s',
          scrapeInterval: '5s',
          provisioning: { dist: 'uniform', min: '5s', max: '20s' },
          scaleDown: { stabilizationWindow: '10s' },
        }),
        duration: '6m',
        drain: '5m',
      } as ScenarioInput;
      input.workload.arrivals = {
        rate: '6/s',
        timeline: [1, 2, 3, 4, 5].map((m) => ({
          spike: { at: `${m}m`, multiplier: 3, rampUp: '5s', hold: '20s', rampDown: '5s' },
        })),
      } as never;
      const r = await run(input, seed);
      const q = r.requests;
      const pool = expectConserved(r);
      expect(pool.statuses['ok']).toBe(q.completed);
      // Draining fails nothing: every request completed.
      expect(q.completed).toBe(q.offered);
      // Replicas did join and leave, many times.
      const ever = pool.details!['replicasEver'] as number;
      expect(ever).toBeGreaterThan(8);
      expect(pool.details!['replicas']).toBe(1);
    },
  );
});
