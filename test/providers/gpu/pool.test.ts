/**
 * GpuPool as a provider: the provider contract, its balancers, replicas exposed as gateway
 * targets, the scraped gauges policies see, capacity loss with slow start, outages, and
 * conservation of requests through random small GPU scenarios with faults.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import roundRobinPolicy from '../../../policies/round-robin.ts';
import {
  definePolicy,
  isRejection,
  type RequestView,
  type RouteContext,
  type RoutingPolicy,
  type TargetView,
} from '../../../src/gateway/policy.ts';
import { TargetState } from '../../../src/gateway/target.ts';
import type { Attempt } from '../../../src/providers/attempt.ts';
import { scheduleFaults } from '../../../src/providers/faults/fault-timeline.ts';
import { FaultyProvider } from '../../../src/providers/faults/faulty-provider.ts';
import { GpuPool } from '../../../src/providers/gpu/gpu-pool.ts';
import type { Sequence } from '../../../src/providers/gpu/replica.ts';
import { resolveGpuSetup } from '../../../src/providers/gpu/setup.ts';
import { loadScenarioObject, validateScenario } from '../../../src/scenario/load.ts';
import type { FaultConfig, ScenarioInput } from '../../../src/scenario/schema.ts';
import type { ResolvedPolicy } from '../../../src/simulator/policy-loader.ts';
import { resolvePolicies, runScenario } from '../../../src/simulator/simulate.ts';
import { startScrapers, targetsOf } from '../../../src/simulator/targets.ts';
import { runProviderContract } from '../provider.case.ts';
import {
  type GpuInput,
  gpuAttempt,
  gpuConfig,
  gpuInput,
  K,
  makePool,
  prefillMs,
  Simulation,
  submitAll,
} from './gpu-harness.ts';

/** A deterministic stand-in for a random stream. */
function lcg(seed = 0.123) {
  let x = seed;
  return () => {
    x = (x * 9301 + 0.49297) % 1;
    return x;
  };
}

const replicaOf = (a: Attempt) => (a.handle as Sequence).replica;

runProviderContract(
  'gpu pool (2 replicas of Llama-3.1-8B, round-robin, chunked prefill)',
  (scheduler, sink) => {
    const rng = lcg();
    const setup = resolveGpuSetup(gpuConfig({ replicas: 2, slowStart: 500 }));
    return new FaultyProvider(
      (s, faults) => new GpuPool(setup, scheduler, s, rng, faults),
      scheduler,
      sink,
      rng,
    );
  },
);

runProviderContract(
  'gpu pool (3 replicas, least-loaded, no chunked prefill, prefix cache, roofline)',
  (scheduler, sink) => {
    const rng = lcg(0.777);
    const config = gpuConfig({
      replicas: 3,
      balancer: 'least-loaded',
      timing: 'auto',
      scheduler: { chunkedPrefill: false, maxSeqs: 8 },
      prefixCache: { enabled: true },
      slowStart: 0,
    });
    return new FaultyProvider(
      (s, faults) => new GpuPool(resolveGpuSetup(config), scheduler, s, rng, faults),
      scheduler,
      sink,
      rng,
    );
  },
);

runProviderContract('gpu pool (2 replicas, random balancer, maxBatchedTokens 1024)', (scheduler, sink) => {
  const rng = lcg(0.42);
  const config = gpuConfig({
    replicas: 2,
    balancer: 'random',
    scheduler: { maxBatchedTokens: 1024, chunkSize: 256 },
    slowStart: 2000,
  });
  return new FaultyProvider(
    (s, faults) => new GpuPool(resolveGpuSetup(config), scheduler, s, rng, faults),
    scheduler,
    sink,
    rng,
  );
});

describe('the pool balancer', () => {
  it('sends requests to replicas 0, 1, 2, 0, 1, 2... with round-robin', () => {
    const attempts = Array.from({ length: 9 }, (_, i) => gpuAttempt({ atMs: i, output: 2 }));
    const { sim, pool } = makePool({ replicas: 3 });
    submitAll(sim, pool, attempts);
    sim.run(Number.POSITIVE_INFINITY);
    expect(attempts.map(replicaOf)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(attempts.every((a) => a.status === 'ok')).toBe(true);
    expect(pool.members.map((r) => r.iterations > 0)).toEqual([true, true, true]);
  });

  it('sends a request to the replica with the fewest running and waiting sequences with least-loaded (lowest index on ties)', () => {
    const long = () => gpuAttempt({ prompt: 100, output: 2000 });
    const first = [long(), gpuAttempt({ prompt: 100, output: 2 }), long()];
    const { sim, pool } = makePool({ replicas: 3, balancer: 'least-loaded' });
    submitAll(sim, pool, first);
    // At 1 s replica 1 is idle again; replicas 0 and 2 still decode.
    const later = [
      gpuAttempt({ atMs: 1000, output: 2000 }),
      gpuAttempt({ atMs: 1000 }),
      gpuAttempt({ atMs: 1000 }),
    ];
    submitAll(sim, pool, later);
    sim.run(999);
    expect(pool.members.map((r) => r.load)).toEqual([1, 0, 1]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(first.map(replicaOf)).toEqual([0, 1, 2]);
    // Loads [1, 0, 1] -> replica 1; then [1, 1, 1] -> 0 (lowest index); then [2, 1, 1] -> 1.
    expect(later.map(replicaOf)).toEqual([1, 0, 1]);
  });

  it('spreads requests over replicas with the random balancer, never to a down replica', () => {
    const attempts = Array.from({ length: 300 }, (_, i) => gpuAttempt({ atMs: 10 * i, output: 2 }));
    const { sim, pool } = makePool({ replicas: 3, balancer: 'random', slowStart: 0 }, lcg(0.31));
    scheduleFaults(
      sim,
      [{ provider: 'p', kind: 'capacity-loss', at: 1500, for: 1000, fraction: 0.34 }],
      new Map([['p', pool]]),
    );
    submitAll(sim, pool, attempts);
    sim.run(Number.POSITIVE_INFINITY);
    const counts = [0, 1, 2].map((r) => attempts.filter((a) => replicaOf(a) === r).length);
    for (const n of counts) expect(n).toBeGreaterThan(40);
    // 34% of 3 replicas rounds to 1 lost: replica 2 is down in [1500, 2500).
    const duringLoss = attempts.filter((a) => a.startMs >= 1500 && a.startMs < 2500);
    expect(duringLoss.length).toBe(100);
    expect(duringLoss.some((a) => replicaOf(a) === 2)).toBe(false);
    // Only what replica 2 held at 1500 ms failed, at that instant.
    const failed = attempts.filter((a) => a.status !== 'ok');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((a) => a.status === 'server_error' && replicaOf(a) === 2 && a.endMs === 1500)).toBe(
      true,
    );
  });
});

describe('capacity loss', () => {
  /** Four replicas, each serving one long request from 0; half the replicas lost in [1 s, 3 s). */
  function lose(slowStart: number) {
    const { sim, sink, pool } = makePool({ replicas: 4, slowStart });
    const faults: FaultConfig[] = [
      { provider: 'p', kind: 'capacity-loss', at: 1000, for: 2000, fraction: 0.5 },
    ];
    scheduleFaults(sim, faults, new Map([['p', pool]]));
    const running = Array.from({ length: 4 }, () => gpuAttempt({ prompt: 100, output: 2000 }));
    submitAll(sim, pool, running);
    return { sim, sink, pool, running };
  }

  it('takes the highest-numbered replicas down: their in-flight attempts fail with server_error at that instant, the others finish', () => {
    const { sim, sink, pool, running } = lose(5000);
    sim.run(Number.POSITIVE_INFINITY);
    expect(running.map(replicaOf)).toEqual([0, 1, 2, 3]);
    expect(running.map((a) => a.status)).toEqual(['ok', 'ok', 'server_error', 'server_error']);
    for (const a of running.slice(2)) {
      expect(sink.of(a)).toEqual([{ attempt: a, atMs: 1000 }]);
      expect(a.endMs).toBe(1000);
      // It had streamed some tokens (billed) before the replica went away.
      expect(a.outputTokens).toBeGreaterThan(0);
      expect(a.outputTokens).toBeLessThan(2000);
    }
    expect(running.slice(0, 2).every((a) => a.outputTokens === 2000)).toBe(true);
    expect(pool.inService()).toBe(0);
  });

  it('brings the lost replicas back only slowStart after the loss ends (3 s + 5 s), refusing direct submissions until then', () => {
    const { sim, pool } = lose(5000);
    const probes = [2999, 7999, 8000].map((t) => {
      sim.run(t);
      return pool.members.map((r) => r.up);
    });
    expect(probes).toEqual([
      [true, true, false, false],
      [true, true, false, false],
      [true, true, true, true],
    ]);
  });

  it('routes around the lost replicas with the pool balancer and answers a direct submission to one with a fast server_error', () => {
    const { sim, sink, pool } = lose(5000);
    const viaPool = Array.from({ length: 6 }, (_, i) => gpuAttempt({ atMs: 4000 + i, output: 2 }));
    submitAll(sim, pool, viaPool);
    const direct = gpuAttempt({ atMs: 7999, output: 2 });
    const afterWarmUp = gpuAttempt({ atMs: 8001, output: 2 });
    sim.at(7999, () => pool.submitTo(2, direct), undefined);
    sim.at(8001, () => pool.submitTo(3, afterWarmUp), undefined);
    sim.run(Number.POSITIVE_INFINITY);
    expect(viaPool.map(replicaOf).every((r) => r < 2)).toBe(true);
    expect(viaPool.every((a) => a.status === 'ok')).toBe(true);
    expect(direct.status).toBe('server_error');
    expect(sink.of(direct)).toEqual([{ attempt: direct, atMs: 7999 }]);
    expect(afterWarmUp.status).toBe('ok');
    expect(replicaOf(afterWarmUp)).toBe(3);
  });

  // Regression test; the bug it caught, now fixed (src/providers/gpu/replica.ts delivered): it adds the token of the decode step in
  // progress (`decodingNow ? 1 : 0`), which has not reached the client when the replica is lost
  // (or the attempt cancelled) mid-step, so the attempt is billed one token too many: 102 here.
  it('bills a request cut off by a lost replica for the tokens streamed before the loss (101 by 1000 ms)', () => {
    const { sim, pool } = makePool();
    scheduleFaults(
      sim,
      [{ provider: 'p', kind: 'capacity-loss', at: 1000, for: 100, fraction: 1 }],
      new Map([['p', pool]]),
    );
    const a = gpuAttempt({ prompt: 100, output: 2000 });
    submitAll(sim, pool, [a]);
    sim.run(Number.POSITIVE_INFINITY);
    // First token after the prefill, then one per decode step of a + c + d x (101 + k).
    let t = K.a + prefillMs(K, 100, 100 * 50);
    let streamed = 1;
    for (let k = 0; t + K.a + K.c + K.d * (101 + k) <= 1000; k++) {
      t += K.a + K.c + K.d * (101 + k);
      streamed++;
    }
    expect(streamed).toBe(101);
    expect(a.status).toBe('server_error');
    expect(a.outputTokens).toBe(streamed);
  });

  it('counts utilization over the replica-time that was up', () => {
    const { sim, pool } = lose(5000);
    sim.run(Number.POSITIVE_INFINITY);
    const u = pool.utilization(sim.now());
    expect(u).toBeGreaterThan(0);
    expect(u).toBeLessThanOrEqual(1);
  });

  it('fails every attempt with server_error when every replica is lost, through the balancer', () => {
    const { sim, sink, pool } = makePool({ replicas: 2 });
    scheduleFaults(
      sim,
      [{ provider: 'p', kind: 'capacity-loss', at: 0, for: 1000, fraction: 1 }],
      new Map([['p', pool]]),
    );
    const a = gpuAttempt({ atMs: 10 });
    submitAll(sim, pool, [a]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.status).toBe('server_error');
    expect(sink.of(a)).toEqual([{ attempt: a, atMs: 10 }]);
  });
});

describe('outage', () => {
  it('answers new attempts with a fast server_error while in-flight ones finish normally', () => {
    const { sim, sink, provider: pool } = makePool({ replicas: 2 });
    scheduleFaults(sim, [{ provider: 'p', kind: 'outage', at: 1000, for: 1000 }], new Map([['p', pool]]));
    const inFlight = gpuAttempt({ atMs: 0, output: 500 });
    const during = gpuAttempt({ atMs: 1500, output: 10 });
    const after = gpuAttempt({ atMs: 2000, output: 10 });
    submitAll(sim, pool, [inFlight, during, after]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(inFlight.status).toBe('ok');
    expect(inFlight.endMs).toBeGreaterThan(2000);
    expect(during.status).toBe('server_error');
    expect(sink.of(during)).toEqual([{ attempt: during, atMs: 1500 }]);
    expect(Number.isNaN(during.serviceStartMs)).toBe(true);
    expect(after.status).toBe('ok');
  });
});

describe('replicas exposed as gateway targets', () => {
  const scenarioInput = (fields: Partial<GpuInput>, extra: Partial<ScenarioInput> = {}): ScenarioInput => ({
    name: 'gpu-targets',
    duration: '10s',
    metrics: { interval: '1s' },
    providers: [gpuInput({ replicas: 4, expose: 'replicas', ...fields })],
    workload: {
      arrivals: { process: 'uniform', rate: '8/s' },
      classes: [{ name: 'c', promptTokens: 256, outputTokens: 32 }],
    },
    ...extra,
  });

  it('makes one target per replica, named pool/i, each submitting to its own replica', () => {
    const scenario = validateScenario(scenarioInput({}));
    const sim = new Simulation();
    const reports: Attempt[] = [];
    const pool = new GpuPool(
      resolveGpuSetup(scenario.providers[0] as never),
      sim,
      { attemptDone: (a) => reports.push(a) },
      lcg(),
    );
    const targets = targetsOf(scenario, [pool]);
    expect(targets.map((t) => [t.name, t.provider, t.providerIndex])).toEqual([
      ['p/0', 'p', 0],
      ['p/1', 'p', 0],
      ['p/2', 'p', 0],
      ['p/3', 'p', 0],
    ]);
    const attempts = [3, 1, 1, 0].map((r) => ({ r, a: gpuAttempt({ output: 2 }) }));
    for (const { r, a } of attempts) sim.at(0, () => targets[r]!.backend.submit(a), undefined);
    sim.run(1);
    expect(targets.map((t) => t.backend.inService() + t.backend.queued())).toEqual([1, 2, 0, 1]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(attempts.map(({ a }) => replicaOf(a))).toEqual([3, 1, 1, 0]);
    expect(reports.length).toBe(4);
  });

  it('makes one target for the whole pool by default', () => {
    const scenario = validateScenario(scenarioInput({ expose: 'pool' }));
    const pool = new GpuPool(
      resolveGpuSetup(scenario.providers[0] as never),
      new Simulation(),
      { attemptDone() {} },
      lcg(),
    );
    expect(targetsOf(scenario, [pool]).map((t) => t.name)).toEqual(['p']);
  });

  /** Runs with a routing policy that wraps `inner`, counting picks per target and gauge ages. */
  async function runWithRecorder(
    input: ScenarioInput,
    inner: (req: RequestView, targets: readonly TargetView[], context: RouteContext) => TargetView,
  ) {
    const loaded = await loadScenarioObject(input);
    const policies = await resolvePolicies(loaded);
    const picks = new Map<string, number>();
    const ages: number[] = [];
    const scrapeTimes = new Set<number>();
    let unscraped = 0;
    const recorder: ResolvedPolicy = {
      definition: definePolicy({
        name: 'recorder',
        kind: 'routing',
        create: (_params, ctx): RoutingPolicy => ({
          route(req, targets, context) {
            for (const t of targets) {
              if (!t.scraped) unscraped++;
              else {
                ages.push(ctx.now() - t.scraped.atMs);
                scrapeTimes.add(t.scraped.atMs);
              }
            }
            const t = inner(req, targets, context);
            picks.set(t.name, (picks.get(t.name) ?? 0) + 1);
            return t;
          },
        }),
      }) as never,
      params: {},
    };
    const r = runScenario(loaded, { ...policies, routing: recorder });
    return { r, picks, ages, scrapeTimes: [...scrapeTimes].sort((a, b) => a - b), unscraped };
  }

  it('spreads 80 requests 20 per replica with round-robin routing, and the provider counts all 80 attempts', async () => {
    const roundRobin = roundRobinPolicy.create(
      {},
      { now: () => 0, random: () => 0, schedule: () => {}, offerQueue: () => {} },
    );
    const { r, picks } = await runWithRecorder(scenarioInput({}), (req, targets, context) => {
      const t = roundRobin.route(req, targets, context);
      if (isRejection(t)) throw new Error('round-robin rejected');
      return t;
    });
    expect(Object.fromEntries(picks)).toEqual({ 'p/0': 20, 'p/1': 20, 'p/2': 20, 'p/3': 20 });
    expect(r.requests.offered).toBe(80);
    expect(r.requests.attempts).toBe(80);
    expect(r.providers['p']!.attempts).toBe(80);
    expect(r.providers['p']!.statuses).toEqual({ ok: 80 });
  });

  it('gives policies gauges scraped every scrapeInterval: never older than the interval, taken at its multiples', async () => {
    const { ages, scrapeTimes, unscraped } = await runWithRecorder(
      scenarioInput(
        { scrapeInterval: '300ms' },
        {
          workload: {
            arrivals: { rate: '20/s' },
            classes: [{ name: 'c', promptTokens: 256, outputTokens: 32 }],
          },
        },
      ),
      (_req, targets) => targets[0]!,
    );
    expect(unscraped).toBe(0);
    expect(ages.length).toBeGreaterThan(4 * 150);
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ages)).toBeLessThanOrEqual(300);
    // Stale in between: Poisson arrivals land all over the interval.
    expect(Math.max(...ages)).toBeGreaterThan(250);
    expect(scrapeTimes.every((t) => t % 300 === 0)).toBe(true);
  });

  it('scrapes replicas every 50 ms by default and shows each replica its own last scrape, stale until the next', () => {
    const scenario = validateScenario(scenarioInput({}));
    const sim = new Simulation();
    const pool = new GpuPool(
      resolveGpuSetup(scenario.providers[0] as never),
      sim,
      { attemptDone() {} },
      lcg(),
    );
    const targets = gatewayTargets(scenario, pool);
    startScrapers(sim, scenario, [pool], targets);
    // A 1000-token prompt: prefilled whole in 377.07 ms (chunkSize 512 -> two chunks: longer).
    const a = gpuAttempt({ atMs: 10, prompt: 1000, output: 100 });
    sim.at(10, () => targets[1]!.backend.submit(a), undefined);
    sim.run(49);
    expect(targets[1]!.scraped).toEqual({ waiting: 0, running: 0, kvUsage: 0, atMs: 0 });
    expect(pool.members[1]!.runningCount).toBe(1);
    sim.run(50);
    const kvBlocks = pool.schedulerOptions.kvBlocks;
    expect(targets[1]!.scraped).toEqual({
      waiting: 0,
      running: 1,
      kvUsage: 1 - (kvBlocks - 63) / kvBlocks,
      atMs: 50,
    });
    expect(targets[0]!.scraped).toEqual({ waiting: 0, running: 0, kvUsage: 0, atMs: 50 });
  });

  it('scrapes a pool seen as one target every second by default, summing waiting and running over replicas', () => {
    const scenario = validateScenario(
      scenarioInput({ expose: 'pool', replicas: 2, scheduler: { maxSeqs: 1 } }),
    );
    const sim = new Simulation();
    const pool = new GpuPool(
      resolveGpuSetup(scenario.providers[0] as never),
      sim,
      { attemptDone() {} },
      lcg(),
    );
    const targets = gatewayTargets(scenario, pool);
    startScrapers(sim, scenario, [pool], targets);
    submitAll(
      sim,
      pool,
      Array.from({ length: 5 }, () => gpuAttempt({ atMs: 10, output: 5000 })),
    );
    sim.run(999);
    expect(targets[0]!.scraped!.atMs).toBe(0);
    expect(targets[0]!.scraped!.running).toBe(0);
    sim.run(1000);
    expect(targets[0]!.scraped).toMatchObject({ waiting: 3, running: 2, atMs: 1000 });
  });
});

describe('conservation through random GPU scenarios with faults', () => {
  const faultArb = (provider: string): fc.Arbitrary<NonNullable<ScenarioInput['faults']>[number]> =>
    fc
      .record({
        at: fc.integer({ min: 0, max: 8000 }),
        for: fc.integer({ min: 100, max: 5000 }),
        kind: fc.constantFrom('outage', 'hang', 'brownout', 'stream-cut', 'capacity-loss'),
        value: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ at, for: span, kind, value }) => {
        const w = { provider, at, for: span };
        switch (kind) {
          case 'outage':
            return { ...w, kind: 'outage' as const };
          case 'hang':
            return { ...w, kind: 'hang' as const };
          case 'brownout':
            return { ...w, kind: 'brownout' as const, latency: 1 + 3 * value, errorRate: value / 2 };
          case 'stream-cut':
            return {
              ...w,
              kind: 'stream-cut' as const,
              afterTokens: Math.floor(value * 40),
              probability: value,
            };
          default:
            return { ...w, kind: 'capacity-loss' as const, fraction: value };
        }
      });

  const scenarioArb: fc.Arbitrary<ScenarioInput> = fc
    .record({
      replicas: fc.integer({ min: 1, max: 3 }),
      model: fc.constantFrom('llama-3.2-1b', 'llama-3.1-8b'),
      gpu: fc.constantFrom('h100-80gb', 'a100-80gb', 'l40s'),
      chunkedPrefill: fc.boolean(),
      maxSeqs: fc.integer({ min: 1, max: 64 }),
      prefixCache: fc.boolean(),
      balancer: fc.constantFrom('round-robin' as const, 'least-loaded' as const, 'random' as const),
      expose: fc.constantFrom('pool' as const, 'replicas' as const),
      slowStart: fc.integer({ min: 0, max: 3000 }),
      routing: fc.constantFrom('round-robin', 'least-outstanding', 'random'),
      rate: fc.integer({ min: 1, max: 15 }),
      prompt: fc.integer({ min: 16, max: 4000 }),
      output: fc.integer({ min: 1, max: 400 }),
      timeout: fc.option(fc.integer({ min: 200, max: 5000 }), { nil: undefined }),
      retries: fc.integer({ min: 0, max: 2 }),
      faults: fc.array(faultArb('g'), { maxLength: 3 }),
    })
    .map(
      (s): ScenarioInput => ({
        name: 'gpu-conservation',
        duration: '10s',
        drain: '20s',
        metrics: { interval: '1s' },
        providers: [
          {
            name: 'g',
            kind: 'gpu',
            model: s.model,
            gpu: s.gpu,
            replicas: s.replicas,
            scheduler: { chunkedPrefill: s.chunkedPrefill, maxSeqs: s.maxSeqs },
            prefixCache: { enabled: s.prefixCache },
            balancer: s.balancer,
            expose: s.expose,
            slowStart: s.slowStart,
          },
        ],
        faults: s.faults,
        workload: {
          arrivals: { rate: s.rate },
          classes: [
            {
              name: 'c',
              promptTokens: { dist: 'lognormal', median: s.prompt, p99: 3 * s.prompt },
              outputTokens: { dist: 'lognormal', median: s.output, p99: 3 * s.output },
              prefix: { groups: 3, tokens: Math.ceil(s.prompt / 2) },
            },
          ],
          client: {
            ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
            retries: { max: s.retries },
          },
        },
        gateway: { routing: s.routing },
      }),
    );

  it('ends every offered request in exactly one outcome and accounts for every attempt', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer({ min: 1, max: 1_000_000 }), async (input, seed) => {
        const r = await runScenarioObject(input, seed);
        const q = r.requests;
        expect(
          q.completed + q.shed + q.rateLimited + q.failed + q.timedOut + q.abandoned + q.unfinished,
        ).toBe(q.offered);
        expect(r.providers['g']!.attempts).toBe(q.attempts);
        const statuses = Object.values(r.providers['g']!.statuses).reduce((a, n) => a + n, 0);
        expect(statuses).toBeLessThanOrEqual(q.attempts);
        if (q.unfinished === 0) expect(statuses).toBe(q.attempts);
        expect(r.providers['g']!.statuses['ok'] ?? 0).toBe(q.completed);
        expect(r.latency.e2e.count).toBe(q.completed);
        const u = r.providers['g']!.utilization;
        expect(u).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThanOrEqual(1);
      }),
      { numRuns: 25, seed: 20_260_101 },
    );
  });
});

async function runScenarioObject(input: ScenarioInput, seed: number) {
  const loaded = await loadScenarioObject(input);
  return runScenario(loaded, await resolvePolicies(loaded), { seed });
}

/**
 * The gateway's state for each target of `pool`, with what each submits to (the gateway keeps
 * that apart); `state` is the target itself, as `startScrapers` takes it.
 */
function gatewayTargets(scenario: ReturnType<typeof validateScenario>, pool: GpuPool) {
  return targetsOf(scenario, [pool]).map((t, i) => {
    const state = new TargetState(i, t);
    return Object.assign(state, { backend: t.backend, state });
  });
}
