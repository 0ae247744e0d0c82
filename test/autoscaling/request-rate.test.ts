/**
 * The `requestRate` metric: the requests per second a pool received since the previous scrape,
 * per replica for an HPA (a Pods metric), the pool's total for KEDA (which sees requests a pool at
 * zero refuses or holds, so it can scale from zero on them).
 */
import { describe, expect, it } from 'vitest';
import { PoolAutoscaler } from '../../src/providers/gpu/autoscaler.ts';
import { KedaAutoscaler } from '../../src/providers/gpu/keda.ts';
import { gpuAttempt, gpuConfig, makePool, submitAll } from '../providers/gpu/gpu-harness.ts';

/** `perSecond` short requests a second from `fromMs` to `toMs`, half a gap off the scrape instants. */
function steady(perSecond: number, fromMs: number, toMs: number) {
  const gap = 1000 / perSecond;
  const n = Math.round(((toMs - fromMs) * perSecond) / 1000);
  return Array.from({ length: n }, (_, i) =>
    gpuAttempt({ atMs: fromMs + gap / 2 + i * gap, prompt: 100, output: 10 }),
  );
}

describe('requestRate per replica (HPA)', () => {
  it('8/s over 2 replicas is 4 per replica: with a target of 2 the first sync (15 s) asks for 4', () => {
    const config = gpuConfig({
      replicas: 2,
      autoscaling: { min: 1, max: 10, target: 2, metric: 'requestRate', provisioning: '60s' } as never,
    }).autoscaling!;
    const { sim, pool } = makePool({ replicas: 2 });
    submitAll(sim, pool, steady(8, 0, 30_000));
    const autoscaler = new PoolAutoscaler(pool, config, 2, sim, () => 0.5);
    autoscaler.start();
    sim.run(14_999);
    expect(autoscaler.counts().desired).toBe(2);
    sim.run(15_000); // 120 requests in 15 s: 8/s, 4 per replica, ceil(2 x 4 / 2) = 4
    expect(autoscaler.counts()).toEqual({ desired: 4, starting: 2, ready: 2, draining: 0 });
  });

  it('a rate within the tolerance keeps the count; a quiet pool scales down to min after the window', () => {
    const config = gpuConfig({
      replicas: 2,
      autoscaling: {
        min: 1,
        max: 10,
        target: 4,
        metric: 'requestRate',
        scaleDown: { stabilizationWindow: '30s' },
      } as never,
    }).autoscaling!;
    const { sim, pool } = makePool({ replicas: 2 });
    submitAll(sim, pool, steady(8, 0, 60_000)); // 4 per replica: on target
    const autoscaler = new PoolAutoscaler(pool, config, 2, sim, () => 0.5);
    autoscaler.start();
    sim.run(60_000);
    expect(autoscaler.counts().desired).toBe(2);
    sim.run(120_000); // 0/s since 60 s: recommendations of 0, min 1 once the 30 s window passed
    expect(autoscaler.counts().desired).toBe(1);
  });
});

describe('requestRate as a KEDA trigger', () => {
  it('counts the requests a pool at zero refuses, so it scales from zero on them', () => {
    const config = gpuConfig({
      replicas: 1,
      autoscaling: {
        kind: 'keda',
        min: 0,
        max: 4,
        target: 2,
        metric: 'requestRate',
        coldStart: { requests: 'refuse' },
        provisioning: '20s',
      } as never,
    }).autoscaling!;
    const { sim, pool } = makePool({ replicas: 1, autoscaling: config as never });
    const early = steady(1, 40_000, 45_000); // at zero (since the 30 s poll): refused
    const late = steady(1, 200_000, 210_000);
    submitAll(sim, pool, [...early, ...late]);
    const autoscaler = new KedaAutoscaler(pool, config, 1, sim, () => 0.5);
    autoscaler.start();
    sim.run(30_000);
    expect(autoscaler.counts().desired).toBe(0);
    // The 45 s scrape counts 5 refused requests in 15 s (1/3 per s > 0): the 60 s poll activates.
    sim.run(60_000);
    expect(autoscaler.counts()).toEqual({ desired: 1, starting: 1, ready: 0, draining: 0 });
    sim.run(300_000);
    expect(early.every((a) => a.status === 'server_error' && a.endMs === a.startMs)).toBe(true);
    expect(late.every((a) => a.status === 'ok')).toBe(true);
  });
});
