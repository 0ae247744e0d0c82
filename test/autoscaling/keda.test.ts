/**
 * KEDA (src/providers/gpu/keda.ts): the activation and cooldown arithmetic against the examples of
 * KEDA's docs (https://keda.sh/docs/2.15/concepts/scaling-deployments/#activating-and-scaling-thresholds,
 * https://keda.sh/docs/2.15/reference/scaledobject-spec/), the HPA part KEDA feeds (an External
 * metric with an AverageValue target), and a pool scaled to and from zero with exact timelines.
 */
import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/providers/attempt.ts';
import { replicasForTotal } from '../../src/providers/gpu/hpa.ts';
import {
  KEDA_DEFAULTS,
  KedaAutoscaler,
  kedaActive,
  kedaFallbackValue,
  kedaScale,
} from '../../src/providers/gpu/keda.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { AutoscalingConfig, ScenarioInput } from '../../src/scenario/schema.ts';
import { gpuAttempt, gpuConfig, gpuInput, makePool, submitAll } from '../providers/gpu/gpu-harness.ts';
import { run } from '../providers/harness.ts';
import { expectConserved } from './conservation.ts';

const poll = (fields: Partial<Parameters<typeof kedaScale>[0]>) =>
  kedaScale({
    current: 1,
    active: false,
    nowMs: 0,
    lastActiveMs: undefined,
    min: 0,
    cooldownMs: KEDA_DEFAULTS.cooldownPeriodMs,
    initialCooldownMs: KEDA_DEFAULTS.initialCooldownPeriodMs,
    ...fields,
  });

describe("KEDA's activation (docs: activating and scaling thresholds)", () => {
  it('threshold 10, activationThreshold 50, 40 messages: not active, scaled to zero though the HPA asks for 4', () => {
    expect(replicasForTotal(1, 40, 10, 0.1)).toBe(4); // what the HPA requires
    expect(kedaActive(40, 50, 0)).toBe(false);
    // Once the cooldown (300 s by default) has passed since the trigger was last active.
    expect(poll({ current: 4, lastActiveMs: 0, nowMs: 330_000 })).toBe(0);
  });

  it('activationThreshold 0 activates only at 1 or more: greater than, not greater than or equal', () => {
    expect(kedaActive(0, 0, 0)).toBe(false);
    expect(kedaActive(1, 0, 0)).toBe(true);
    expect(kedaActive(50, 50, 0)).toBe(false);
    expect(kedaActive(51, 50, 0)).toBe(true);
  });

  it('with minReplicaCount >= 1 the scaler is always active and the activation value is ignored', () => {
    expect(kedaActive(0, 50, 1)).toBe(true);
    expect(poll({ current: 1, min: 1, active: false, lastActiveMs: 0, nowMs: 3_600_000 })).toBeUndefined();
  });

  it('an active trigger at zero scales to 1 (minReplicaCount 0), or to minReplicaCount', () => {
    expect(poll({ current: 0, active: true })).toBe(1);
    expect(poll({ current: 0, active: true, min: 3 })).toBe(3);
    expect(poll({ current: 0, active: false })).toBeUndefined();
    // Above zero KEDA leaves 1 <-> N to the HPA.
    expect(poll({ current: 3, active: true, nowMs: 100_000 })).toBeUndefined();
  });
});

describe("KEDA's cooldown (docs: ScaledObject spec, cooldownPeriod and initialCooldownPeriod)", () => {
  it('scales to 0 only after the cooldown (300 s) since the trigger was last active', () => {
    expect(poll({ lastActiveMs: 60_000, nowMs: 360_000 })).toBeUndefined(); // exactly 300 s: not yet
    expect(poll({ lastActiveMs: 60_000, nowMs: 390_000 })).toBe(0); // the next 30 s poll
  });

  it('never active: scaled to minReplicaCount at once, or after initialCooldownPeriod (120 s in the example)', () => {
    expect(poll({ nowMs: 30_000 })).toBe(0);
    expect(poll({ nowMs: 120_000, initialCooldownMs: 120_000 })).toBeUndefined();
    expect(poll({ nowMs: 150_000, initialCooldownMs: 120_000 })).toBe(0);
  });

  it('defaults: pollingInterval 30 s, cooldownPeriod 300 s, initialCooldownPeriod 0, activation 0', () => {
    expect(KEDA_DEFAULTS).toEqual({
      pollingIntervalMs: 30_000,
      cooldownPeriodMs: 300_000,
      initialCooldownPeriodMs: 0,
      activationTarget: 0,
    });
  });
});

describe('the HPA KEDA creates: an External metric with an AverageValue target', () => {
  it('desired = ceil(total / target): the fallback example (target x 6 replicas asks for 6)', () => {
    expect(replicasForTotal(2, 10 * 6, 10, 0.1)).toBe(6);
    expect(replicasForTotal(4, 41, 10, 0.1)).toBe(4); // 41 / 40 within the tolerance
    expect(replicasForTotal(4, 45, 10, 0.1)).toBe(5);
    expect(replicasForTotal(4, 0, 10, 0.1)).toBe(0); // the HPA's minReplicas (max(min, 1)) bounds it
  });
});

describe('the autoscaling schema for KEDA', () => {
  const scenario = (autoscaling: object) => ({
    name: 'k',
    duration: '1m',
    providers: [gpuInput({ autoscaling } as never)],
    workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
  });

  it('accepts min 0 with kind keda and KEDA settings', () => {
    const s = validateScenario(
      scenario({ kind: 'keda', min: 0, max: 4, target: 4, pollingInterval: '10s', coldStart: {} }),
    );
    const a = (s.providers[0] as { autoscaling: AutoscalingConfig }).autoscaling;
    expect(a.coldStart).toEqual({ requests: 'wait', maxWait: 20_000 });
  });

  it('refuses min 0 and KEDA settings on an HPA, saying where and why', () => {
    expect(() => validateScenario(scenario({ min: 0, max: 4, target: 4 }))).toThrow(
      /providers\[0\]\.autoscaling\.min: expected min >= 1 \(an HPA never scales to zero; `kind: keda` does/s,
    );
    expect(() => validateScenario(scenario({ min: 1, max: 4, target: 4, cooldownPeriod: '1m' }))).toThrow(
      /autoscaling\.cooldownPeriod.*without 'kind: keda'/s,
    );
  });
});

/** A KEDA pool: 1 replica to start, min 0, target 4 in flight per replica, 60 + 16 + 4 = 80 s startup. */
function kedaPool(fields: object = {}) {
  const config = gpuConfig({
    replicas: 1,
    autoscaling: {
      kind: 'keda',
      min: 0,
      max: 6,
      target: 4,
      metric: 'inFlight',
      provisioning: '60s',
      modelLoad: { weightsGB: 16, bandwidthGBps: 1 },
      warmUp: '4s',
      ...fields,
    } as never,
  });
  const made = makePool({ replicas: 1, autoscaling: config.autoscaling as never });
  const autoscaler = new KedaAutoscaler(made.pool, config.autoscaling!, 1, made.sim, () => 0.5);
  return { ...made, autoscaler };
}

const reportsOf = (sink: { of(a: Attempt): unknown[] }, attempts: readonly Attempt[]) =>
  attempts.map((a) => sink.of(a).length);

describe('a KEDA pool scaled to and from zero', () => {
  it('idle from the start, it scales to zero at the first poll after 0 s (30 s): billed 30 s', () => {
    const { sim, pool, autoscaler } = kedaPool();
    autoscaler.start();
    sim.run(29_999);
    expect(autoscaler.counts()).toEqual({ desired: 1, starting: 0, ready: 1, draining: 0 });
    sim.run(30_000);
    expect(autoscaler.counts()).toEqual({ desired: 0, starting: 0, ready: 0, draining: 0 });
    expect(pool.replicasIn('gone')).toEqual([0]);
    sim.run(600_000);
    expect(pool.billedMs(600_000)).toBe(30_000);
  });

  it('a request at zero waits in front of the pool; KEDA activates at the next poll that sees it; it is served when the replica is ready', () => {
    const { sim, sink, pool, autoscaler } = kedaPool({ coldStart: { maxWait: '5m' } });
    const a = gpuAttempt({ atMs: 40_000, prompt: 200, output: 50 });
    submitAll(sim, pool, [a]);
    autoscaler.start();
    sim.run(40_000);
    expect(pool.heldRequests()).toBe(1);
    expect(pool.queued()).toBe(1);
    // Scrape at 45 s sees 1 held; the poll at 60 s reads it: 1 > 0, active -> 1 replica,
    // requested at 60 s, ready at 60 + 60 + 16 + 4 = 140 s.
    sim.run(59_999);
    expect(autoscaler.counts().desired).toBe(0);
    sim.run(60_000);
    expect(autoscaler.counts()).toEqual({ desired: 1, starting: 1, ready: 0, draining: 0 });
    sim.run(139_999);
    expect(a.status).toBe('pending');
    expect(Number.isNaN(a.serviceStartMs)).toBe(true);
    sim.run(140_000);
    expect(a.serviceStartMs).toBe(140_000);
    expect(pool.heldRequests()).toBe(0);
    sim.run(200_000);
    expect(a.status).toBe('ok');
    expect(reportsOf(sink, [a])).toEqual([1]);
  });

  it('a request held longer than coldStart.maxWait (20 s by default, as KEDA HTTP add-on) fails with a 503 then', () => {
    const { sim, sink, pool, autoscaler } = kedaPool();
    const a = gpuAttempt({ atMs: 40_000 });
    submitAll(sim, pool, [a]);
    autoscaler.start();
    sim.run(1_000_000);
    expect(a.status).toBe('server_error');
    expect(a.endMs).toBe(60_000);
    expect(reportsOf(sink, [a])).toEqual([1]);
    // The demand it showed still brought a replica up (requested at the 60 s poll), which later
    // cooled back down to zero: 300 s after the last active poll (60 s), at the 390 s poll.
    expect(pool.replicasIn('gone')).toEqual([0, 1]);
    expect(pool.billedMs(1_000_000)).toBe(30_000 + (390_000 - 60_000));
  });

  it('coldStart.requests: refuse answers a 503 at once; with an in-pool gauge a pool at zero then never sees demand', () => {
    const { sim, sink, pool, autoscaler } = kedaPool({ coldStart: { requests: 'refuse' } });
    const attempts = Array.from({ length: 20 }, (_, i) => gpuAttempt({ atMs: 40_000 + i * 10_000 }));
    submitAll(sim, pool, attempts);
    autoscaler.start();
    sim.run(1_000_000);
    expect(attempts.every((a) => a.status === 'server_error' && a.endMs === a.startMs)).toBe(true);
    expect(reportsOf(sink, attempts).every((n) => n === 1)).toBe(true);
    expect(autoscaler.counts().desired).toBe(0);
  });

  it('a waiting request the caller cancels is cancelled, not reported, and no longer counted', () => {
    const { sim, sink, pool, autoscaler } = kedaPool({ coldStart: { maxWait: '5m' } });
    const a = gpuAttempt({ atMs: 40_000 });
    submitAll(sim, pool, [a]);
    sim.at(50_000, () => pool.cancel(a), undefined);
    autoscaler.start();
    sim.run(1_000_000);
    expect(a.status).toBe('cancelled');
    expect(reportsOf(sink, [a])).toEqual([0]);
    expect(pool.heldRequests()).toBe(0);
    // The scrape at 45 s saw it: a replica was requested at 60 s all the same.
    expect(pool.replicasIn('gone')).toEqual([0, 1]);
  });

  it('above zero the HPA scales on the total: 16 in flight over a target of 4 -> 4 at the first sync (15 s)', () => {
    const { sim, pool, autoscaler } = kedaPool();
    submitAll(
      sim,
      pool,
      Array.from({ length: 16 }, (_, i) => gpuAttempt({ atMs: i * 50, prompt: 200, output: 20_000 })),
    );
    autoscaler.start();
    sim.run(15_000);
    expect(autoscaler.counts()).toEqual({ desired: 4, starting: 3, ready: 1, draining: 0 });
  });

  it('with min 1 it never goes to zero however long idle (always active)', () => {
    const { sim, autoscaler } = kedaPool({ min: 1 });
    autoscaler.start();
    sim.run(3_600_000);
    expect(autoscaler.counts()).toEqual({ desired: 1, starting: 0, ready: 1, draining: 0 });
  });
});

describe('a KEDA pool in a whole run', () => {
  /** Bursts of 4/s for a minute with idle gaps longer than the cooldown: the pool goes to zero and back. */
  function bursty(coldStart: object): ScenarioInput {
    return {
      name: 'keda-bursts',
      duration: '8m',
      drain: '5m',
      metrics: { interval: '30s' },
      providers: [
        {
          name: 'pool',
          kind: 'gpu',
          model: 'llama-3.1-8b',
          gpu: 'h100-80gb',
          replicas: 1,
          costPerReplicaHour: 2,
          autoscaling: {
            kind: 'keda',
            min: 0,
            max: 6,
            target: 4,
            pollingInterval: '10s',
            cooldownPeriod: '30s',
            syncPeriod: '5s',
            scrapeInterval: '5s',
            provisioning: { dist: 'uniform', min: '5s', max: '25s' },
            scaleDown: { stabilizationWindow: '10s' },
            coldStart,
          },
        },
      ],
      workload: {
        arrivals: {
          rate: '4/s',
          timeline: [
            { step: { at: '1m', rate: 0 } },
            { step: { at: '3m', rate: '4/s' } },
            { step: { at: '4m', rate: 0 } },
            { step: { at: '6m', rate: '8/s' } },
            { step: { at: '7m', rate: 0 } },
          ],
        },
        classes: [{ name: 'c', promptTokens: 1000, outputTokens: 200 }],
        client: { timeout: '25s', retries: { max: 1 } },
      },
    } as ScenarioInput;
  }

  it.each([1, 2, 3])(
    'seed %i: conservation holds while the pool scales to zero and back (requests wait, some past the client timeout)',
    async (seed) => {
      const r = await run(bursty({ maxWait: '1m' }), seed);
      const q = r.requests;
      const pool = expectConserved(r);
      // The pool went to zero after each burst and came back for the next.
      const desired = r.timeseries.providers['pool']!.replicasDesired as number[];
      const firstZero = desired.indexOf(0);
      expect(firstZero).toBeGreaterThan(0);
      expect(desired.slice(firstZero).some((n) => n > 0)).toBe(true);
      expect(desired.at(-1)).toBe(0);
      // Cold starts cost latency, not requests: none was refused (the hold outlasts the client's
      // 25 s timeout, whose retries a cancel ends), and most completed.
      expect(pool.statuses['server_error']).toBeUndefined();
      expect(q.completed / q.offered).toBeGreaterThan(0.9);
    },
  );

  it('refused at zero, the first request of each burst fails at once and the gateway sees the 503', async () => {
    const r = await run(bursty({ requests: 'refuse' }), 1);
    const pool = r.providers['pool']!;
    // The in-flight gauge of a pool at zero is 0: nothing brings it back, every later request is refused.
    expect(pool.statuses['server_error']).toBeGreaterThan(0);
    expect(r.requests.failed / r.requests.offered).toBeGreaterThan(0.5);
    const desired = r.timeseries.providers['pool']!.replicasDesired as number[];
    expect(desired.slice(desired.indexOf(0)).every((n) => n === 0)).toBe(true);
  });
});

describe("KEDA's idleReplicaCount (docs: ScaledObject spec, idleReplicaCount)", () => {
  it('the docs example: idle 0, min 10: no activity -> 0 after the cooldown; activity -> 10 at once; above 10 the HPA scales', () => {
    // "If there's no activity on triggers the target resource is scaled down to idleReplicaCount (0),
    // once there is an activity the target resource is immediately scaled to minReplicaCount (10)".
    expect(poll({ current: 10, min: 10, idle: 0, lastActiveMs: 0, nowMs: 300_000 })).toBeUndefined();
    expect(poll({ current: 10, min: 10, idle: 0, lastActiveMs: 0, nowMs: 330_000 })).toBe(0);
    expect(poll({ current: 0, min: 10, idle: 0, active: true })).toBe(10);
    expect(poll({ current: 4, min: 10, idle: 0, active: true })).toBe(10); // below min: straight to min
    expect(poll({ current: 40, min: 10, idle: 0, active: true })).toBeUndefined(); // the HPA's 10 <-> 100
    expect(poll({ current: 0, min: 10, idle: 0, active: false, nowMs: 900_000 })).toBeUndefined();
  });

  it('with an idle count the activation target counts though min >= 1 (inactivity is what idles the pool)', () => {
    expect(kedaActive(0, 0, 10, 0)).toBe(false);
    expect(kedaActive(1, 0, 10, 0)).toBe(true);
    expect(kedaActive(0, 0, 10)).toBe(true); // without one, min >= 1 is always active
  });

  it('the schema takes idleReplicaCount 0 below min, and refuses it at or above min, or other than 0, saying why', () => {
    const scenario = (autoscaling: object) => ({
      name: 'k',
      duration: '1m',
      providers: [gpuInput({ autoscaling } as never)],
      workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
    });
    const s = validateScenario(scenario({ kind: 'keda', min: 2, max: 4, target: 4, idleReplicaCount: 0 }));
    expect((s.providers[0] as { autoscaling: AutoscalingConfig }).autoscaling.idleReplicaCount).toBe(0);
    expect(() =>
      validateScenario(scenario({ kind: 'keda', min: 0, max: 4, target: 4, idleReplicaCount: 0 })),
    ).toThrow(/autoscaling\.idleReplicaCount: expected idleReplicaCount below min \(0\), got 0/);
    expect(() =>
      validateScenario(scenario({ kind: 'keda', min: 3, max: 4, target: 4, idleReplicaCount: 1 })),
    ).toThrow(/autoscaling\.idleReplicaCount: .*0 \(the only value KEDA supports\)/);
    expect(() => validateScenario(scenario({ min: 2, max: 4, target: 4, idleReplicaCount: 0 }))).toThrow(
      /autoscaling\.idleReplicaCount.*without 'kind: keda'/s,
    );
  });

  it('a pool with min 2 and idle 0 goes to 0 when idle, and straight to 2 when a request shows up', () => {
    const { sim, pool, autoscaler } = kedaPool({ min: 2, idleReplicaCount: 0, coldStart: { maxWait: '5m' } });
    const a = gpuAttempt({ atMs: 40_000, prompt: 200, output: 50 });
    submitAll(sim, pool, [a]);
    autoscaler.start();
    // The HPA's 15 s sync lifts the harness's 1 replica to min (2); never active, the pool idles
    // at the 30 s poll (initial cooldown 0; not at the 0 s one: 0 is not before 0).
    sim.run(29_999);
    expect(autoscaler.counts().desired).toBe(2);
    sim.run(30_000);
    expect(autoscaler.counts().desired).toBe(0);
    // The request held at 40 s is scraped at 45 s and read by the 60 s poll: straight to min, 2.
    sim.run(60_000);
    expect(autoscaler.counts()).toEqual({ desired: 2, starting: 2, ready: 0, draining: 0 });
    sim.run(200_000);
    expect(a.status).toBe('ok');
  });
});

describe("KEDA's fallback (docs: ScaledObject spec, fallback; pkg/fallback/fallback.go)", () => {
  it('the docs example: failureThreshold 3, replicas 6: past 3 failed reads the metric reads target x 6, so the HPA asks for 6', () => {
    const fallback = { failureThreshold: 3, replicas: 6 };
    expect(kedaFallbackValue(3, fallback, 10)).toBeUndefined(); // 3 failures: not past the threshold
    expect(kedaFallbackValue(4, fallback, 10)).toBe(60);
    expect(replicasForTotal(2, 60, 10, 0.1)).toBe(6);
    expect(replicasForTotal(9, 60, 10, 0.1)).toBe(6);
    expect(kedaFallbackValue(100, undefined, 10)).toBeUndefined(); // no fallback: an error
  });

  it('the schema takes fallback { failureThreshold, replicas } with KEDA only, replicas within max', () => {
    const scenario = (autoscaling: object) => ({
      name: 'k',
      duration: '1m',
      providers: [gpuInput({ autoscaling } as never)],
      workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
    });
    const fallback = { failureThreshold: 3, replicas: 6 };
    const s = validateScenario(scenario({ kind: 'keda', min: 1, max: 8, target: 4, fallback }));
    expect((s.providers[0] as { autoscaling: AutoscalingConfig }).autoscaling.fallback).toEqual(fallback);
    expect(() => validateScenario(scenario({ kind: 'keda', min: 1, max: 4, target: 4, fallback }))).toThrow(
      /autoscaling\.fallback\.replicas: expected at most max \(4\), got 6/,
    );
    expect(() => validateScenario(scenario({ min: 1, max: 8, target: 4, fallback }))).toThrow(
      /autoscaling\.fallback.*without 'kind: keda'/s,
    );
  });

  /**
   * min 1, one replica serving 2 long requests (under the target of 4: no scale-up), KEDA polls
   * every 7 s, the HPA syncs every 15 s; the metric source is down from 20 s to 100 s.
   */
  function outage(fields: object) {
    const made = kedaPool({ min: 1, pollingInterval: '7s', ...fields });
    const { sim, pool, autoscaler } = made;
    submitAll(
      sim,
      pool,
      [0, 50].map((atMs) => gpuAttempt({ atMs, prompt: 200, output: 40_000 })),
    );
    sim.at(20_000, () => (pool.faults.metricsDown = true), undefined);
    sim.at(100_000, () => (pool.faults.metricsDown = false), undefined);
    autoscaler.start();
    return made;
  }

  it('reads fail from 20 s (polls 21, 28 s, sync 30 s, poll 35 s...): the 45 s sync is past 3 failures and heads for 6, as fast as the HPA behavior lets it', () => {
    const { sim, autoscaler } = outage({ fallback: { failureThreshold: 3, replicas: 6 } });
    sim.run(30_000);
    expect(autoscaler.failures).toBe(3); // 21, 28, 30: not past 3, the HPA keeps 1
    expect(autoscaler.counts().desired).toBe(1);
    sim.run(44_999);
    expect(autoscaler.counts().desired).toBe(1);
    sim.run(45_000);
    // Past the threshold: target x 6 -> 6, limited to +4 pods per 15 s (the default scale-up policy).
    expect(autoscaler.counts().desired).toBe(5);
    sim.run(60_000);
    expect(autoscaler.counts().desired).toBe(6);
    sim.run(99_999);
    expect(autoscaler.counts().desired).toBe(6);
    // The source answers again at 100 s: the count resets; 2 in flight over 6 replicas would be 1,
    // but the scale-down stabilization (300 s) holds 6 until the fallback's recommendations age out.
    sim.run(105_000);
    expect(autoscaler.failures).toBe(0);
    expect(autoscaler.counts().desired).toBe(6);
    sim.run(400_000);
    expect(autoscaler.counts().desired).toBe(1);
  });

  it('without a fallback the HPA keeps its scale through the outage', () => {
    const { sim, autoscaler } = outage({});
    sim.run(99_999);
    expect(autoscaler.failures).toBeGreaterThan(3);
    expect(autoscaler.counts().desired).toBe(1);
  });

  it('with min 0 an erroring trigger is not active: the pool goes to zero after the cooldown, fallback or not (kedacore/keda#7411)', () => {
    const { sim, pool, autoscaler } = kedaPool({
      pollingInterval: '7s',
      initialCooldownPeriod: '1m',
      fallback: { failureThreshold: 3, replicas: 6 },
    });
    submitAll(
      sim,
      pool,
      [0, 50].map((atMs) => gpuAttempt({ atMs, prompt: 200, output: 40_000 })),
    );
    sim.at(30_000, () => (pool.faults.metricsDown = true), undefined);
    autoscaler.start();
    // The 15 s scrape shows 2 in flight: active at the 21 and 28 s polls; the source fails from
    // 30 s, so 28 s was the last active poll; cooled down after 328 s: the 329 s poll scales to 0.
    sim.run(328_999);
    expect(autoscaler.failures).toBeGreaterThan(3);
    expect(autoscaler.counts().desired).toBeGreaterThan(0);
    sim.run(329_000);
    expect(autoscaler.counts().desired).toBe(0);
  });
});

describe('a metrics outage in a whole run', () => {
  function scenario(fallback: object | undefined): ScenarioInput {
    return {
      name: 'keda-fallback',
      duration: '6m',
      metrics: { interval: '15s' },
      providers: [
        {
          name: 'pool',
          kind: 'gpu',
          model: 'llama-3.1-8b',
          gpu: 'h100-80gb',
          replicas: 1,
          autoscaling: {
            kind: 'keda',
            min: 1,
            max: 8,
            target: 8,
            pollingInterval: '10s',
            ...(fallback ? { fallback } : {}),
          },
        },
      ],
      faults: [{ kind: 'metrics-outage', provider: 'pool', at: '1m', for: '3m' }],
      workload: {
        arrivals: { rate: '1/s' },
        classes: [{ name: 'c', promptTokens: 500, outputTokens: 100 }],
      },
    } as ScenarioInput;
  }

  it('the fault drives the fallback: the pool goes to fallback.replicas during the outage; without one it stays put', async () => {
    const on = await run(scenario({ failureThreshold: 2, replicas: 4 }), 1);
    const desired = on.timeseries.providers['pool']!.replicasDesired as number[];
    expect(desired.slice(0, 4).every((n) => n === 1)).toBe(true); // before 1m: light load, 1 replica
    expect(Math.max(...desired.slice(4, 16))).toBe(4); // during the outage: the fallback's 4
    const off = await run(scenario(undefined), 1);
    const still = off.timeseries.providers['pool']!.replicasDesired as number[];
    expect(still.every((n) => n === 1)).toBe(true);
  });

  it('on an HPA pool the fault holds the scale for its window (each sync keeps it), then the HPA scales', async () => {
    const hpa = (faults: object[]) => {
      const s = scenario(undefined);
      const pool = s.providers[0]! as object;
      return {
        ...s,
        providers: [{ ...pool, autoscaling: { min: 1, max: 8, target: 2, metric: 'inFlight' } }],
        faults,
        workload: {
          arrivals: { rate: '8/s' },
          classes: [{ name: 'c', promptTokens: 500, outputTokens: 400 }],
        },
      } as ScenarioInput;
    };
    const held = await run(hpa([{ kind: 'metrics-outage', provider: 'pool', at: '0s', for: '3m' }]), 1);
    const desired = held.timeseries.providers['pool']!.replicasDesired as number[];
    expect(desired.slice(0, 12).every((n) => n === 1)).toBe(true); // 0-3m: every sync fails to read
    expect(Math.max(...desired.slice(12))).toBeGreaterThan(1); // from the 3m sync on it scales
    const free = await run(hpa([]), 1);
    expect((free.timeseries.providers['pool']!.replicasDesired as number[])[1]).toBeGreaterThan(1);
  });

  it('a metrics outage must name an autoscaled GPU pool (KEDA or an HPA)', () => {
    const s = scenario(undefined);
    const pool = s.providers[0]! as { autoscaling: object };
    const fixed = { ...s, providers: [{ ...pool, autoscaling: undefined }] } as ScenarioInput;
    expect(() => validateScenario(fixed)).toThrow(
      /faults\[0\]\.provider: expected a GPU pool scaled by KEDA .* without autoscaling/,
    );
    const hpa = {
      ...s,
      providers: [{ ...pool, autoscaling: { min: 1, max: 8, target: 8 } }],
    } as ScenarioInput;
    expect(() => validateScenario(hpa)).not.toThrow();
  });
});
