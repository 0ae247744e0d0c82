/**
 * Common random numbers (FG-3): the offered traffic (arrival times, classes, token sizes) comes
 * from its own random streams, so swapping the routing or admission policy, or changing a
 * provider, leaves it identical. A comparison then measures the policy, not the noise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RequestSample } from '../../src/metrics/request-samples.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { arbitraryScenario } from './arbitrary-scenario.ts';

type Gateway = NonNullable<ScenarioInput['gateway']>;

const ROUTINGS = ['round-robin', 'random', 'least-outstanding'] as const;
const ADMISSIONS: Gateway['admission'][] = [
  'always-admit',
  { policy: 'concurrency-limit', params: { limit: 6 } },
  { policy: 'concurrency-limit', params: { limit: 3, queue: false } },
];

async function run(s: ScenarioInput, seed = 1): Promise<RunResult> {
  return simulate(await loadScenarioObject(s), { seed });
}

function withGateway(s: ScenarioInput, g: Partial<Gateway>): ScenarioInput {
  return { ...s, gateway: { ...s.gateway, ...g } };
}

/**
 * Everything about the offered traffic the result shows. The series are cut at the end of the
 * arrivals: how long the drain ran (and so how many empty windows follow) depends on the policy.
 */
function offered(r: RunResult) {
  const windows = r.timeseries.startMs.filter((t) => t < r.durationMs).length;
  return {
    total: r.requests.offered,
    series: r.timeseries.offered.slice(0, windows),
    classes: Object.fromEntries(
      Object.entries(r.classes).map(([name, c]) => [
        name,
        { total: c.requests.offered, series: r.timeseries.classes[name]!.offered.slice(0, windows) },
      ]),
    ),
  };
}

/** Two hosted APIs of different speed and price, one of them failing for a while. */
const stressed: ScenarioInput = {
  name: 'independence',
  duration: '2m',
  providers: [
    {
      name: 'cheap',
      kind: 'api',
      capacity: 4,
      queueCapacity: 4,
      ttft: { dist: 'lognormal', median: '600ms', p99: '2s' },
      pricing: { inputPerMTok: 0.1, outputPerMTok: 0.4 },
    },
    {
      name: 'dear',
      kind: 'api',
      capacity: 8,
      ttft: { dist: 'lognormal', median: '200ms', p99: '600ms' },
      rateLimit: { rpm: 300 },
      pricing: { inputPerMTok: 1, outputPerMTok: 4 },
    },
  ],
  faults: [{ provider: 'cheap', kind: 'outage', at: '30s', for: '20s' }],
  workload: {
    arrivals: { process: 'poisson', rate: '8/s' },
    classes: [
      { name: 'tab', share: 2, outputTokens: { dist: 'lognormal', median: 30, p99: 200 } },
      { name: 'chat', share: 1, promptTokens: { dist: 'exponential', mean: 2000 } },
    ],
    client: {
      timeout: '5s',
      retries: { max: 1 },
      abandonAfter: { dist: 'exponential', mean: '8s' },
    },
  },
  gateway: { attemptTimeout: '3s', retries: { max: 1 } },
};

describe('independence of the offered traffic', () => {
  it('offers identical arrivals per window and class under every routing and admission policy', async () => {
    const results: RunResult[] = [];
    for (const routing of ROUTINGS)
      for (const admission of ADMISSIONS)
        results.push(await run(withGateway(stressed, { routing, admission })));
    const reference = offered(results[0]!);
    expect(reference.total).toBeGreaterThan(800);
    for (const r of results) expect(offered(r)).toEqual(reference);
    // ...while the policies really did change what happened to that traffic.
    const outcomes = new Set(results.map((r) => JSON.stringify(r.requests)));
    expect(outcomes.size).toBe(results.length);
  });

  it('offers identical arrivals when a provider is slower, fails more or has fewer servers', async () => {
    const reference = offered(await run(stressed));
    const [cheap, dear] = stressed.providers as [
      Extract<ScenarioInput['providers'][number], { kind: 'api' }>,
      ScenarioInput['providers'][number],
    ];
    const variants: ScenarioInput[] = [
      { ...stressed, providers: [{ ...cheap, ttft: { dist: 'exponential', mean: '2s' } }, dear] },
      { ...stressed, providers: [{ ...cheap, capacity: 1 }, dear] },
      { ...stressed, faults: [{ provider: 'dear', kind: 'brownout', at: 0, for: '2m', errorRate: 0.5 }] },
    ];
    for (const v of variants) expect(offered(await run(v))).toEqual(reference);
  });

  it('draws identical token sizes under every routing policy: total billed tokens match when all complete once', async () => {
    // Ample capacity, no limits, no faults, no timeouts: every request completes on its first
    // attempt, so billed tokens are exactly the offered prompt and output tokens.
    const calm: ScenarioInput = {
      ...stressed,
      providers: [
        {
          name: 'cheap',
          kind: 'api',
          capacity: 1000,
          pricing: { inputPerMTok: 0.1, outputPerMTok: 0.4 },
        },
        {
          name: 'dear',
          kind: 'api',
          capacity: 1000,
          ttft: { dist: 'exponential', mean: '300ms' },
          pricing: { inputPerMTok: 1, outputPerMTok: 4 },
        },
      ],
      faults: [],
      workload: { ...stressed.workload, client: {} },
      gateway: {},
    };
    const tokens = (r: RunResult) => ({
      input: r.cost.inputTokens,
      output: r.cost.outputTokens,
      classes: Object.fromEntries(
        Object.entries(r.classes).map(([n, c]) => [n, [c.cost.inputTokens, c.cost.outputTokens]]),
      ),
    });
    const results = await Promise.all(ROUTINGS.map((routing) => run(withGateway(calm, { routing }))));
    for (const r of results) {
      expect(r.requests.completed).toBe(r.requests.offered);
      expect(r.requests.attempts).toBe(r.requests.offered);
    }
    const reference = tokens(results[0]!);
    expect(reference.input).toBeGreaterThan(500_000);
    for (const r of results) expect(tokens(r)).toEqual(reference);
    // Prices differ, so routing shows in the bill even though the tokens are the same.
    expect(new Set(results.map((r) => r.cost.totalUsd)).size).toBe(ROUTINGS.length);
  });

  it('holds for random scenarios: swapping routing and admission never changes the offered traffic', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbitraryScenario(),
        fc.constantFrom(...ROUTINGS),
        fc.constantFrom(...ADMISSIONS),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (s, routing, admission, seed) => {
          const a = await run(s, seed);
          const b = await run(withGateway(s, { routing, admission }), seed);
          expect(offered(b)).toEqual(offered(a));
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('a traffic seed apart from the run seed (SimulateOptions.trafficSeed)', () => {
  /** Each request's arrival facts, in arrival order. */
  async function requests(s: ScenarioInput, options: { seed: number; trafficSeed?: number }) {
    let samples: RequestSample[] = [];
    const result = await simulate(await loadScenarioObject(s), {
      ...options,
      samples: { limit: 1_000_000, collect: (all) => (samples = all) },
    });
    const facts = samples
      .map((x) => ({ id: x.id, class: x.class, arrivalMs: x.arrivalMs, promptTokens: x.promptTokens }))
      .sort((a, b) => a.id - b.id);
    const ttft = samples.sort((a, b) => a.id - b.id).map((x) => x.ttftMs);
    return { result, facts, ttft };
  }

  it('offers the traffic seed 9 offers, met with seed 3 luck', async () => {
    const own = await requests(stressed, { seed: 9 });
    const apart = await requests(stressed, { seed: 3, trafficSeed: 9 });
    const other = await requests(stressed, { seed: 3 });
    expect(own.facts.length).toBeGreaterThan(800);
    expect(apart.facts).toEqual(own.facts);
    expect(offered(apart.result)).toEqual(offered(own.result));
    expect(other.facts).not.toEqual(own.facts);
    // The providers' draws are seed 3's, not seed 9's: the latencies differ, and the result says so.
    expect(apart.ttft).not.toEqual(own.ttft);
    expect(apart.result.seed).toBe(3);
    expect(apart.result.trafficSeed).toBe(9);
    expect(own.result).not.toHaveProperty('trafficSeed');
  });

  it('changes nothing when the traffic seed is the run seed', async () => {
    const a = await simulate(await loadScenarioObject(stressed), { seed: 4 });
    const b = await simulate(await loadScenarioObject(stressed), { seed: 4, trafficSeed: 4 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('holds for random scenarios: the same traffic seed offers the same traffic under any run seed', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbitraryScenario(),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (s, seed, trafficSeed) => {
          const a = await simulate(await loadScenarioObject(s), { seed: trafficSeed });
          const b = await simulate(await loadScenarioObject(s), { seed, trafficSeed });
          expect(offered(b)).toEqual(offered(a));
        },
      ),
      { numRuns: 20 },
    );
  });
});
