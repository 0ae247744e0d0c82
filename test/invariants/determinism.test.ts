/**
 * Determinism (FG-3): a run is a pure function of (scenario, seed). The same inputs give
 * byte-identical result JSON, in any order and after any other run in the same process; a
 * different seed gives a different run.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { arbitraryScenario } from './arbitrary-scenario.ts';

/** Every source of randomness the engine has: api and queue providers, faults, retries with
 * jitter, abandonment, random routing, a gateway queue, two classes with token distributions. */
const rich: ScenarioInput = {
  name: 'determinism',
  duration: '3m',
  seed: 11,
  providers: [
    {
      name: 'fast',
      kind: 'api',
      capacity: 12,
      queueCapacity: 20,
      ttft: { dist: 'lognormal', median: '250ms', p99: '900ms' },
      outputRate: { dist: 'lognormal', median: '140/s', p99: '220/s' },
      rateLimit: { rpm: 900, inputTpm: '600k', outputTpm: '60k' },
      pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 },
      rtt: '20ms',
    },
    { name: 'pool', kind: 'queue', servers: 4, service: { dist: 'gamma', mean: '600ms', cv: 1.5 } },
  ],
  faults: [
    { provider: 'fast', kind: 'brownout', at: '40s', for: '30s', latency: 3, errorRate: 0.2 },
    { provider: 'pool', kind: 'hang', at: '100s', for: '20s' },
  ],
  workload: {
    arrivals: {
      process: 'poisson',
      rate: '12/s',
      timeline: [{ spike: { at: '60s', multiplier: 2, hold: '20s' } }],
    },
    classes: [
      {
        name: 'tab',
        share: 3,
        promptTokens: { dist: 'lognormal', median: 1500, p99: 6000 },
        outputTokens: { dist: 'lognormal', median: 24, p99: 120 },
        slo: { ttft: '600ms' },
      },
      {
        name: 'chat',
        share: 1,
        promptTokens: { dist: 'lognormal', median: 3000, p99: 20000 },
        outputTokens: { dist: 'lognormal', median: 300, p99: 1200 },
        client: { timeout: '20s', abandonAfter: { dist: 'exponential', mean: '15s' } },
      },
    ],
    client: { timeout: '10s', retries: { max: 2, backoff: { base: '200ms', jitter: 'decorrelated' } } },
  },
  gateway: {
    admission: { policy: 'concurrency-limit', params: { limit: 30 } },
    routing: 'random',
    queue: { capacity: 50, order: 'priority', maxWait: '2s' },
    attemptTimeout: '5s',
    retries: { max: 1, backoff: { base: '100ms', jitter: 'full' } },
    fallbacks: { fast: ['pool'] },
  },
};

async function run(s: ScenarioInput, seed?: number): Promise<RunResult> {
  return simulate(await loadScenarioObject(s), seed === undefined ? {} : { seed });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('determinism', () => {
  it('gives byte-identical result JSON for the same scenario and seed', async () => {
    const a = await run(rich);
    const b = await run(rich);
    expect(a.requests.offered).toBeGreaterThan(2000);
    expect(a.requests.completed).toBeGreaterThan(0);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('gives the same result whatever ran before it in the same process', async () => {
    const first = JSON.stringify(await run(rich, 3));
    await run(rich, 4);
    await run({ ...rich, gateway: { ...rich.gateway, routing: 'least-outstanding' } }, 3);
    const [again, concurrent] = await Promise.all([run(rich, 3), run(rich, 5)]);
    expect(JSON.stringify(again)).toBe(first);
    expect(concurrent.seed).toBe(5);
  });

  it('takes the seed from the options over the scenario, identically to a scenario seed', async () => {
    const fromOption = await run(rich, 99);
    const fromScenario = await run({ ...rich, seed: 99 });
    expect(fromOption.seed).toBe(99);
    expect(JSON.stringify(fromOption)).toBe(JSON.stringify(fromScenario));
  });

  it('gives a different run for a different seed', async () => {
    const a = await run(rich, 1);
    const b = await run(rich, 2);
    expect(JSON.stringify(b)).not.toBe(JSON.stringify(a));
    // The offered traffic itself differs, not just a label.
    expect(b.timeseries.offered).not.toEqual(a.timeseries.offered);
    expect(b.latency.e2e.mean).not.toBe(a.latency.e2e.mean);
  });

  it('never reads Math.random or the wall clock during a run', async () => {
    const loaded = await loadScenarioObject(rich);
    const reference = JSON.stringify(await simulate(loaded));
    const forbidden = () => {
      throw new Error('a run must not read Math.random or the clock');
    };
    const random = vi.spyOn(Math, 'random').mockImplementation(forbidden);
    const now = vi.spyOn(Date, 'now').mockImplementation(forbidden);
    const perf = vi.spyOn(performance, 'now').mockImplementation(forbidden);
    const r = await simulate(loaded);
    expect(random).not.toHaveBeenCalled();
    expect(now).not.toHaveBeenCalled();
    expect(perf).not.toHaveBeenCalled();
    expect(JSON.stringify(r)).toBe(reference);
  });

  it('holds for random scenarios and seeds', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryScenario(), fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (s, seed) => {
        const a = await run(s, seed);
        const b = await run(s, seed);
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      { numRuns: 30 },
    );
  });
});
