/**
 * A GPU pool whose replica count changes (gpu-pool.ts addReplica / removeReplica, driven by
 * autoscaler.ts): exact provisioning timelines, no request routed to a replica before it is ready
 * or after it starts draining, drains that fail nothing, and a fleet cost that is the integral of
 * the replicas billed.
 */
import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/providers/attempt.ts';
import { scheduleFaults } from '../../src/providers/faults/fault-timeline.ts';
import { PoolAutoscaler } from '../../src/providers/gpu/autoscaler.ts';
import type { Sequence } from '../../src/providers/gpu/replica.ts';
import type { AutoscalingConfig } from '../../src/scenario/schema.ts';
import { gpuAttempt, gpuConfig, makePool, submitAll } from '../providers/gpu/gpu-harness.ts';

const replicaOf = (a: Attempt) => (a.handle as Sequence).replica;

/** `n` attempts spread evenly from `fromMs` to `toMs`. */
function spread(n: number, fromMs: number, toMs: number, output = 50): Attempt[] {
  return Array.from({ length: n }, (_, i) =>
    gpuAttempt({ atMs: fromMs + ((toMs - fromMs) * i) / n, prompt: 200, output }),
  );
}

describe('replicas that join', () => {
  it('a replica requested at t takes traffic from t + delay, never before, with a new id', () => {
    const { sim, pool } = makePool({ replicas: 2, balancer: 'round-robin' });
    let id = -1;
    sim.at(
      10_000,
      () => {
        id = pool.addReplica(20_000);
      },
      undefined,
    );
    const before = spread(40, 0, 29_990);
    const after = spread(40, 30_000, 40_000);
    submitAll(sim, pool, [...before, ...after]);
    sim.run(29_999);
    expect(id).toBe(2);
    expect(pool.replicasIn('starting')).toEqual([2]);
    sim.run(30_000);
    expect(pool.replicasIn('ready')).toEqual([0, 1, 2]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(before.every((a) => replicaOf(a) !== 2)).toBe(true);
    expect(after.some((a) => replicaOf(a) === 2)).toBe(true);
    expect([...before, ...after].every((a) => a.status === 'ok')).toBe(true);
  });

  it('ids are never reused: a replica added after one left gets the next id', () => {
    const { sim, pool } = makePool({ replicas: 1 });
    sim.at(
      0,
      () => {
        pool.addReplica(1000);
        pool.removeReplica(1);
        pool.addReplica(1000);
      },
      undefined,
    );
    sim.run(Number.POSITIVE_INFINITY);
    expect(pool.replicasIn('gone')).toEqual([1]);
    expect(pool.replicasIn('ready')).toEqual([0, 2]);
  });
});

describe('replicas that leave', () => {
  it('a draining replica takes no new work, finishes what it holds and then is gone', () => {
    const { sim, pool } = makePool({ replicas: 2, balancer: 'round-robin' });
    const early = spread(20, 0, 1000, 400);
    const late = spread(20, 2000, 3000);
    submitAll(sim, pool, [...early, ...late]);
    sim.at(1500, () => pool.removeReplica(1), undefined);
    sim.run(1500);
    const held = early.filter((a) => replicaOf(a) === 1);
    expect(held.length).toBeGreaterThan(0);
    expect(held.some((a) => a.status === 'pending')).toBe(true);
    expect(pool.replicasIn('draining')).toEqual([1]);
    sim.run(Number.POSITIVE_INFINITY);
    expect([...early, ...late].every((a) => a.status === 'ok')).toBe(true);
    expect(late.every((a) => replicaOf(a) === 0)).toBe(true);
    expect(pool.replicasIn('gone')).toEqual([1]);
    // Billing stopped when the last held request ended.
    const lastEnd = Math.max(...held.map((a) => a.endMs));
    const end = Math.max(...late.map((a) => a.endMs)) + 10_000;
    expect(pool.billedMs(end)).toBeCloseTo(end + lastEnd, 6);
  });

  it('a replica removed while starting never serves and is billed until removed', () => {
    const { sim, pool } = makePool({ replicas: 1 });
    sim.at(5000, () => pool.addReplica(60_000), undefined);
    sim.at(20_000, () => pool.removeReplica(1), undefined);
    const attempts = spread(30, 60_000, 70_000);
    submitAll(sim, pool, attempts);
    sim.run(Number.POSITIVE_INFINITY);
    expect(attempts.every((a) => replicaOf(a) === 0 && a.status === 'ok')).toBe(true);
    expect(pool.billedMs(100_000)).toBe(100_000 + 15_000);
  });
});

describe('the fleet cost integrates replica-hours as the count changes', () => {
  it('equals the sum of each replica from its request to its end, times the price', () => {
    const { sim, pool } = makePool({ replicas: 2, costPerReplicaHour: 3.6 });
    sim.at(600_000, () => pool.addReplica(120_000), undefined); // billed from 10 min
    sim.at(1_200_000, () => pool.removeReplica(0), undefined); // idle: gone at 20 min
    sim.run(Number.POSITIVE_INFINITY);
    const end = 3_600_000;
    const replicaMs = end /* replica 1 */ + 1_200_000 /* replica 0 */ + (end - 600_000); /* replica 2 */
    expect(pool.billedMs(end)).toBe(replicaMs);
    expect(pool.fleetCostUsd(end)).toBeCloseTo((replicaMs / 3_600_000) * 3.6, 9);
  });
});

describe('the autoscaler on a loaded pool', () => {
  const settings = (fields: object = {}): AutoscalingConfig =>
    gpuConfig({
      replicas: 1,
      autoscaling: {
        min: 1,
        max: 6,
        target: 4,
        metric: 'inFlight',
        provisioning: '60s',
        modelLoad: { weightsGB: 16, bandwidthGBps: 1 },
        warmUp: '4s',
        adapterDelay: '0s',
        ...fields,
      } as never,
    }).autoscaling!;

  it('requested at the first sync (15 s), new replicas serve at 15 + 60 + 16 + 4 = 95 s', () => {
    const { sim, pool } = makePool({ replicas: 1 });
    // 16 long requests in flight on one replica: 4x the target of 4.
    submitAll(sim, pool, spread(16, 0, 1000, 20_000));
    const autoscaler = new PoolAutoscaler(pool, settings(), 1, sim, () => 0.5);
    autoscaler.start();
    sim.run(14_999);
    expect(autoscaler.counts()).toEqual({ desired: 1, starting: 0, ready: 1, draining: 0 });
    sim.run(15_000);
    // ceil(1 x 16 / 4) = 4, within the default scale-up limit max(1 + 4, 2) = 5.
    expect(autoscaler.counts()).toEqual({ desired: 4, starting: 3, ready: 1, draining: 0 });
    sim.run(94_999);
    expect(pool.replicasIn('starting')).toEqual([1, 2, 3]);
    sim.run(95_000);
    expect(pool.replicasIn('ready')).toEqual([0, 1, 2, 3]);
  });

  it('scales down to the highest recommendation of the last 300 s, then to min once the load is gone', () => {
    const { sim, pool } = makePool({ replicas: 1 });
    const attempts = spread(16, 14_000, 14_500, 200); // in flight at 15 s, done by 30 s
    submitAll(sim, pool, attempts);
    const autoscaler = new PoolAutoscaler(pool, settings(), 1, sim, () => 0.5);
    autoscaler.start();
    // 15 s: 4 (the load). 30-90 s: the load is gone, the 3 starting replicas count as at target:
    // (0 + 3 x 4) / 4 / 4 = 0.75 -> 3. From 105 s every replica reports 0 -> 0 (min 1).
    sim.run(314_999);
    expect(autoscaler.counts().desired).toBe(4);
    sim.run(315_000); // the 15 s recommendation left the window; the highest left is 3
    expect(autoscaler.counts()).toEqual({ desired: 3, starting: 0, ready: 3, draining: 0 });
    sim.run(389_999);
    expect(autoscaler.counts().desired).toBe(3);
    sim.run(390_000);
    expect(autoscaler.counts()).toEqual({ desired: 1, starting: 0, ready: 1, draining: 0 });
    expect(pool.replicasIn('gone')).toEqual([1, 2, 3]);
    expect(attempts.every((a) => a.status === 'ok')).toBe(true);
  });

  it('reads metrics through the adapter delay: a 30 s old scrape delays the reaction to the next sync', () => {
    const { sim, pool } = makePool({ replicas: 1 });
    submitAll(sim, pool, spread(16, 20_000, 21_000, 20_000));
    const autoscaler = new PoolAutoscaler(pool, settings({ adapterDelay: '30s' }), 1, sim, () => 0.5);
    autoscaler.start();
    // Scrapes at 30 s see the load; the sync at 45 s reads the 15 s scrape, the one at 60 s the 30 s one.
    sim.run(59_999);
    expect(autoscaler.counts().desired).toBe(1);
    sim.run(60_000);
    expect(autoscaler.counts().desired).toBe(4);
  });

  it('run(Infinity) ends once the work is done: the scrapes and syncs do not keep it going', () => {
    const { sim, pool } = makePool({ replicas: 1 });
    const attempts = spread(16, 0, 1000, 2000);
    submitAll(sim, pool, attempts);
    const autoscaler = new PoolAutoscaler(pool, settings(), 1, sim, () => 0.5);
    autoscaler.start();
    // Bounded even if the syncs kept it going: stopped after 1M events (this run needs far fewer).
    sim.run(Number.POSITIVE_INFINITY, { progressEveryEvents: 1_000_000, onProgress: () => sim.stop() });
    expect(attempts.every((a) => a.status === 'ok')).toBe(true);
    // The 15 s sync asked for 4 (ready at 95 s); the run ends with the last request, well before
    // the 300 s scale-down stabilization would let a sync take the pool back to 1.
    expect(autoscaler.counts()).toEqual({ desired: 4, starting: 0, ready: 4, draining: 0 });
    expect(sim.now()).toBeGreaterThan(95_000);
    expect(sim.now()).toBeLessThan(120_000);
    expect(sim.pending).toBe(2); // the next scrape and sync, for a later run
  });

  it('a metrics outage: the HPA cannot read its metric and keeps the scale, then resumes (HPA controller: FailedGetPodsMetric, no rescale)', () => {
    const { sim, pool } = makePool({ replicas: 1 });
    submitAll(sim, pool, spread(16, 0, 1000, 40_000)); // 4x the target from the start
    sim.at(10_000, () => (pool.faults.metricsDown = true), undefined);
    sim.at(50_000, () => (pool.faults.metricsDown = false), undefined);
    const autoscaler = new PoolAutoscaler(pool, settings(), 1, sim, () => 0.5);
    autoscaler.start();
    // Syncs at 15, 30 and 45 s fail to read: no recommendation, the scale stays 1.
    sim.run(59_999);
    expect(autoscaler.counts()).toEqual({ desired: 1, starting: 0, ready: 1, draining: 0 });
    // The 60 s sync reads again (the 60 s scrape): ceil(1 x 16 / 4) = 4.
    sim.run(60_000);
    expect(autoscaler.counts()).toEqual({ desired: 4, starting: 3, ready: 1, draining: 0 });
  });
});

describe('capacity faults on a pool that scales', () => {
  it('a replica ready during a capacity loss serves by the fault share after slow start; all serve after it ends', () => {
    const { sim, pool } = makePool({ replicas: 2, slowStart: 1000 });
    scheduleFaults(
      sim,
      [{ provider: 'p', kind: 'capacity-loss', at: 1000, for: 9000, fraction: 0.5 }],
      new Map([['p', pool]]),
    );
    sim.at(2000, () => pool.addReplica(2000), undefined); // ready at 4 s, during the loss
    const up = (t: number) => {
      sim.run(t);
      return pool.members.map((r) => r.up);
    };
    expect(up(1500)).toEqual([true, false]);
    // 3 ready replicas at half capacity: round(1.5) = 2 up; replica 1 warms for 1 s, 2 stays down.
    expect(up(4000)).toEqual([true, false, false]);
    expect(up(5000)).toEqual([true, true, false]);
    expect(up(11_000)).toEqual([true, true, true]);
  });
});

describe('the starting count', () => {
  it('is `replicas` kept within the autoscaler bounds', () => {
    const low = makePool({ replicas: 2, autoscaling: { min: 4, max: 6, target: 1 } as never }).pool;
    const high = makePool({ replicas: 12, autoscaling: { min: 4, max: 6, target: 1 } as never }).pool;
    expect([low.capacity, low.replicasIn('ready')]).toEqual([4, [0, 1, 2, 3]]);
    expect(high.capacity).toBe(6);
    expect(makePool({ replicas: 12 }).pool.capacity).toBe(12);
  });
});
