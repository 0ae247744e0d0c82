/**
 * Spot capacity reclaimed with notice (a `spot-reclaim` fault): the newest ready replicas drain
 * from the notice (no new work, what they hold goes on), are gone when it runs out (what still runs
 * fails as a server error, billing stops); an autoscaled pool replaces them at notice through
 * provisioning, a static pool stays short. Conservation holds over whole runs; bad input is
 * refused with its path.
 */
import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/providers/attempt.ts';
import { scheduleFaults } from '../../src/providers/faults/fault-timeline.ts';
import { PoolAutoscaler } from '../../src/providers/gpu/autoscaler.ts';
import type { Sequence } from '../../src/providers/gpu/replica.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { FaultConfig, ScenarioInput } from '../../src/scenario/schema.ts';
import { gpuAttempt, gpuConfig, makePool, submitAll } from '../providers/gpu/gpu-harness.ts';
import { run } from '../providers/harness.ts';
import { expectConserved } from './conservation.ts';

const replicaOf = (a: Attempt) => (a.handle as Sequence).replica;
const reclaim = (at: number, replicas: number, notice: number): FaultConfig => ({
  provider: 'p',
  kind: 'spot-reclaim',
  at,
  replicas,
  notice,
  for: notice,
});

function spread(n: number, fromMs: number, toMs: number, output: number): Attempt[] {
  return Array.from({ length: n }, (_, i) =>
    gpuAttempt({ atMs: fromMs + ((toMs - fromMs) * i) / n, prompt: 200, output }),
  );
}

describe('a spot reclaim on a static pool', () => {
  it('drains the newest ready replicas at notice, cuts what still runs at the end of it, stops billing, replaces nothing', () => {
    const { sim, sink, pool, provider } = makePool({ replicas: 3, balancer: 'round-robin' });
    scheduleFaults(sim, [reclaim(10_000, 2, 5000)], new Map([['p', provider]]));
    const short = spread(30, 9000, 9900, 20); // on every replica, done within the notice
    const long = spread(30, 9000, 9900, 5000); // still decoding when the notice runs out
    const during = spread(30, 10_000, 14_900, 20);
    submitAll(sim, pool, [...short, ...long, ...during]);
    sim.run(9999);
    expect(pool.replicasIn('ready')).toEqual([0, 1, 2]);
    sim.run(10_000);
    expect(pool.replicasIn('ready')).toEqual([0]);
    expect(pool.replicasIn('draining')).toEqual([1, 2]);
    sim.run(14_999);
    expect(pool.replicasIn('draining')).toEqual([1, 2]);
    // The reclaimed replicas finished the short work they held during the notice.
    for (const a of short) expect(a.status).toBe('ok');
    sim.run(15_000);
    expect(pool.replicasIn('gone')).toEqual([1, 2]);
    sim.run(Number.POSITIVE_INFINITY);
    // No new work on a replica under notice.
    expect(during.every((a) => replicaOf(a) === 0 && a.status === 'ok')).toBe(true);
    // What the reclaimed replicas still ran failed at 15 s, reported once, as a server error.
    const cut = long.filter((a) => replicaOf(a) !== 0);
    expect(cut.length).toBe(20);
    for (const a of cut) {
      expect(a.status).toBe('server_error');
      expect(sink.of(a).map((r) => r.atMs)).toEqual([15_000]);
    }
    expect(long.filter((a) => replicaOf(a) === 0).every((a) => a.status === 'ok')).toBe(true);
    // Billing: replica 0 all along, replicas 1 and 2 until 15 s; nothing replaces them.
    expect(pool.billedMs(60_000)).toBe(60_000 + 2 * 15_000);
    expect(pool.replicasIn('starting')).toEqual([]);
    expect(pool.replicasIn('ready')).toEqual([0]);
  });

  it('an idle replica under notice stays billed until the notice runs out; at most the ready replicas go', () => {
    const { sim, pool, provider } = makePool({ replicas: 2 });
    scheduleFaults(sim, [reclaim(1000, 5, 30_000)], new Map([['p', provider]]));
    sim.run(30_999);
    expect(pool.replicasIn('draining')).toEqual([0, 1]);
    sim.run(31_000);
    expect(pool.replicasIn('gone')).toEqual([0, 1]);
    expect(pool.billedMs(100_000)).toBe(2 * 31_000);
  });
});

describe('a spot reclaim on an autoscaled pool', () => {
  it('replaces the reclaimed replicas at notice: ready after provisioning + load + warm-up', () => {
    const { sim, pool, provider } = makePool({ replicas: 3 });
    const settings = gpuConfig({
      replicas: 3,
      autoscaling: {
        min: 3,
        max: 6,
        target: 100,
        provisioning: '60s',
        modelLoad: { weightsGB: 16, bandwidthGBps: 1 },
        warmUp: '4s',
      } as never,
    }).autoscaling!;
    const autoscaler = new PoolAutoscaler(pool, settings, 3, sim, () => 0.5);
    autoscaler.start();
    scheduleFaults(sim, [reclaim(10_000, 2, 30_000)], new Map([['p', provider]]));
    sim.run(10_000);
    // Replicas 1 and 2 drain; 3 and 4 are requested at once (the scale is still 3).
    expect(autoscaler.counts()).toEqual({ desired: 3, starting: 2, ready: 1, draining: 2 });
    sim.run(40_000);
    expect(pool.replicasIn('gone')).toEqual([1, 2]);
    expect(autoscaler.counts()).toEqual({ desired: 3, starting: 2, ready: 1, draining: 0 });
    sim.run(89_999); // 10 + 60 + 16 + 4 = 90 s
    expect(pool.replicasIn('starting')).toEqual([3, 4]);
    sim.run(90_000);
    expect(pool.replicasIn('ready')).toEqual([0, 3, 4]);
    // Billed: replica 0 all along, 1 and 2 until 40 s, 3 and 4 from 10 s.
    expect(pool.billedMs(100_000)).toBe(100_000 + 2 * 40_000 + 2 * 90_000);
  });
});

function scenario(faults: object[], autoscaling?: object): ScenarioInput {
  return {
    name: 'spot',
    duration: '6m',
    drain: '5m',
    seed: 1,
    metrics: { interval: '30s' },
    providers: [
      {
        name: 'pool',
        kind: 'gpu',
        model: 'llama-3.1-8b',
        gpu: 'h100-80gb',
        replicas: 3,
        costPerReplicaHour: 2,
        ...(autoscaling ? { autoscaling } : {}),
      },
      { name: 'api', kind: 'api' },
    ],
    workload: {
      arrivals: { rate: '8/s' },
      classes: [
        { name: 'c', promptTokens: 1000, outputTokens: { dist: 'lognormal', median: 300, p99: 2000 } },
      ],
    },
    gateway: { routing: { policy: 'least-outstanding' } },
    faults,
  } as ScenarioInput;
}

describe('whole runs with spot reclaims', () => {
  it.each([
    [1, 'pool'],
    [2, 'replicas'],
    [3, 'replicas'],
  ] as const)(
    'seed %i (expose: %s): conservation holds while reclaimed replicas leave and replacements join',
    async (seed, expose) => {
      const input = scenario(
        [
          { provider: 'pool', kind: 'spot-reclaim', at: '1m', replicas: 2, notice: '2s' },
          { provider: 'pool', kind: 'spot-reclaim', at: '4m', replicas: 1, notice: '2m' },
        ],
        { min: 3, max: 6, target: 8, provisioning: '30s', modelLoad: '10s', warmUp: '5s' },
      );
      // The pool alone (the API is for the input checks), as one target or as its replicas.
      input.providers = [{ ...input.providers[0]!, expose } as never];
      const r = await run(input, seed);
      const pool = expectConserved(r);
      // The 2 s notice cut answers still running.
      expect(pool.statuses['server_error'] ?? 0).toBeGreaterThan(0);
      // Three replicas reclaimed, at least three replacements requested.
      expect(pool.details!['replicasEver'] as number).toBeGreaterThanOrEqual(6);
    },
  );
});

describe('spot-reclaim input', () => {
  const problems = (faults: object[], autoscaling?: object) => {
    try {
      validateScenario(scenario(faults, autoscaling));
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  it('is checked with paths: a GPU pool, at most its replicas, a notice, no window of its own', () => {
    expect(problems([{ provider: 'pool', kind: 'spot-reclaim', at: '1m', replicas: 1, notice: '30s' }])).toBe(
      '',
    );
    expect(
      problems([{ provider: 'api', kind: 'spot-reclaim', at: '1m', replicas: 1, notice: '30s' }]),
    ).toMatch(
      /faults\[0\]\.provider: expected a GPU pool \(kind: gpu\) for a spot reclaim, got 'api' of kind api/,
    );
    expect(
      problems([{ provider: 'pool', kind: 'spot-reclaim', at: '1m', replicas: 4, notice: '30s' }]),
    ).toMatch(/faults\[0\]\.replicas: expected at most 3 \(the replicas of 'pool'\), got 4/);
    expect(
      problems([{ provider: 'pool', kind: 'spot-reclaim', at: '1m', replicas: 7, notice: '30s' }], {
        min: 1,
        max: 6,
        target: 8,
      }),
    ).toMatch(/faults\[0\]\.replicas: expected at most 6 \(the autoscaling max of 'pool'\)/);
    expect(problems([{ provider: 'pool', kind: 'spot-reclaim', at: '1m', replicas: 1 }])).toMatch(
      /faults\[0\]\.notice/,
    );
    expect(
      problems([{ provider: 'pool', kind: 'spot-reclaim', at: '1m', replicas: 0, notice: '30s' }]),
    ).toMatch(/faults\[0\]\.replicas/);
    expect(
      problems([{ provider: 'pool', kind: 'spot-reclaim', at: '1m', for: '1m', replicas: 1, notice: '30s' }]),
    ).toMatch(/faults\[0\].*unknown key 'for'/);
    expect(problems([{ provider: 'pool', kind: 'spot-reclam', at: '1m' }])).toMatch(
      /did you mean 'spot-reclaim'/i,
    );
  });
});
