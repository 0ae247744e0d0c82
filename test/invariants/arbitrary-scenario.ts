/**
 * fast-check arbitraries for small random scenarios, shared by the invariant tests: 1-3
 * providers (queue or api), 1-2 request classes, Poisson arrivals at a few requests per second
 * for a few simulated minutes, optional client timeout, retries and abandonment, gateway
 * admission, attempt timeout, retries and fallbacks, and faults of every kind. Warmup is 0, so
 * every request is measured. Scenarios are kept short so that dozens run in a few seconds.
 */
import fc from 'fast-check';
import type { ScenarioInput } from '../../src/scenario/schema.ts';

type ProviderInput = ScenarioInput['providers'][number];
type FaultInput = NonNullable<ScenarioInput['faults']>[number];
type ClientInput = NonNullable<ScenarioInput['workload']['client']>;
type GatewayInput = NonNullable<ScenarioInput['gateway']>;

const ms = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });

const durationDist = (lo: number, hi: number) =>
  fc.oneof(
    ms(lo, hi).map((mean) => ({ dist: 'exponential' as const, mean })),
    ms(lo, hi).map((value) => ({ dist: 'deterministic' as const, value })),
    fc
      .tuple(ms(lo, hi), fc.double({ min: 1, max: 5, noNaN: true }))
      .map(([median, k]) => ({ dist: 'lognormal' as const, median, p99: Math.round(median * k) })),
    fc
      .tuple(ms(lo, hi), fc.double({ min: 0.2, max: 2, noNaN: true }))
      .map(([mean, cv]) => ({ dist: 'gamma' as const, mean, cv })),
  );

const queueProvider = (name: string): fc.Arbitrary<ProviderInput> =>
  fc.record(
    {
      name: fc.constant(name),
      kind: fc.constant('queue' as const),
      servers: fc.integer({ min: 1, max: 4 }),
      service: durationDist(20, 1500),
      queueCapacity: fc.integer({ min: 0, max: 20 }),
    },
    { requiredKeys: ['name', 'kind', 'servers', 'service'] },
  );

const apiProvider = (name: string): fc.Arbitrary<ProviderInput> =>
  fc.record(
    {
      name: fc.constant(name),
      kind: fc.constant('api' as const),
      capacity: fc.integer({ min: 1, max: 16 }),
      queueCapacity: fc.integer({ min: 0, max: 30 }),
      ttft: fc
        .tuple(ms(20, 800), fc.double({ min: 1, max: 4, noNaN: true }))
        .map(([median, k]) => ({ dist: 'lognormal' as const, median, p99: Math.round(median * k) })),
      outputRate: fc
        .tuple(fc.integer({ min: 10, max: 200 }), fc.double({ min: 1, max: 2, noNaN: true }))
        .map(([median, k]) => ({ dist: 'lognormal' as const, median, p99: Math.round(median * k) })),
      rateLimit: fc.record(
        {
          rpm: fc.integer({ min: 20, max: 600 }),
          inputTpm: fc.integer({ min: 5_000, max: 500_000 }),
          outputTpm: fc.integer({ min: 1_000, max: 100_000 }),
        },
        { requiredKeys: [] },
      ),
      pricing: fc.record({
        inputPerMTok: fc.double({ min: 0, max: 5, noNaN: true }),
        outputPerMTok: fc.double({ min: 0, max: 20, noNaN: true }),
      }),
      // Small windows make some requests too long: 400 bad request.
      contextWindow: fc.integer({ min: 200, max: 4000 }),
      rtt: ms(0, 80),
    },
    { requiredKeys: ['name', 'kind'] },
  );

const providers: fc.Arbitrary<ProviderInput[]> = fc
  .array(fc.boolean(), { minLength: 1, maxLength: 3 })
  .chain((kinds) =>
    fc.tuple(...kinds.map((isApi, i) => (isApi ? apiProvider(`p${i}`) : queueProvider(`p${i}`)))),
  );

const client: fc.Arbitrary<ClientInput> = fc.record(
  {
    timeout: ms(300, 20_000),
    retries: fc.record({
      max: fc.integer({ min: 0, max: 3 }),
      backoff: fc.record({
        base: ms(10, 1000),
        cap: ms(1000, 5000),
        jitter: fc.constantFrom('none', 'full', 'equal', 'decorrelated'),
      }),
    }),
    abandonAfter: durationDist(500, 30_000),
  },
  { requiredKeys: [] },
);

const fault = (providerCount: number, durationMs: number): fc.Arbitrary<FaultInput> => {
  const window = {
    provider: fc.integer({ min: 0, max: providerCount - 1 }).map((i) => `p${i}`),
    at: ms(0, durationMs),
    for: ms(1000, 60_000),
  };
  return fc.oneof(
    fc.record({ ...window, kind: fc.constant('outage' as const) }),
    fc.record({ ...window, kind: fc.constant('hang' as const) }),
    fc.record({
      ...window,
      kind: fc.constant('brownout' as const),
      latency: fc.double({ min: 1, max: 10, noNaN: true }),
      errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    fc.record({
      ...window,
      kind: fc.constant('rate-limit-storm' as const),
      limitFactor: fc.double({ min: 0.01, max: 1, noNaN: true }),
    }),
    fc.record({
      ...window,
      kind: fc.constant('stream-cut' as const),
      afterTokens: fc.integer({ min: 0, max: 50 }),
      probability: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    fc.record({
      ...window,
      kind: fc.constant('capacity-loss' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  );
};

const policies = {
  routing: fc.constantFrom('round-robin', 'random', 'least-outstanding'),
  admission: fc.oneof(
    fc.constant('always-admit'),
    fc.record({
      policy: fc.constant('concurrency-limit'),
      params: fc.record({ limit: fc.integer({ min: 1, max: 20 }), queue: fc.boolean() }),
    }),
  ),
};

const gateway = (providerCount: number): fc.Arbitrary<GatewayInput> =>
  fc
    .record<GatewayInput>(
      {
        admission: policies.admission,
        routing: policies.routing,
        queue: fc.record(
          {
            capacity: fc.integer({ min: 0, max: 50 }),
            order: fc.constantFrom('fifo', 'lifo', 'priority'),
            maxWait: ms(100, 10_000),
          },
          { requiredKeys: ['capacity', 'order'] },
        ),
        attemptTimeout: ms(200, 10_000),
        retries: fc.record(
          {
            max: fc.integer({ min: 0, max: 3 }),
            backoff: fc.record({ base: ms(10, 500), cap: ms(500, 3000) }),
            pushback: fc.boolean(),
            budget: fc.oneof(
              fc.record({
                kind: fc.constant('token-bucket' as const),
                maxTokens: fc.integer({ min: 2, max: 10 }),
              }),
              fc.record({
                kind: fc.constant('percent' as const),
                minRetries: fc.integer({ min: 0, max: 3 }),
              }),
            ),
          },
          { requiredKeys: ['max', 'backoff'] },
        ),
        hedging: fc.oneof(
          fc.record({ after: ms(50, 3000) }),
          fc.record({
            percentile: fc.integer({ min: 50, max: 99 }),
            minSamples: fc.integer({ min: 1, max: 20 }),
          }),
          // gRPC A6 hedging policy (no gateway retries with it: see the map below).
          fc.record(
            {
              after: ms(0, 1000),
              maxAttempts: fc.integer({ min: 2, max: 6 }),
              nonFatal: fc.subarray(['rate-limited', 'server-error', 'timeout', 'stream-cut'] as const),
            },
            { requiredKeys: ['maxAttempts'] },
          ),
        ),
        health: fc.constantFrom('circuit-breaker', 'outlier-ejection', 'cooldown'),
        fallbacks: fc
          .array(fc.integer({ min: 0, max: providerCount - 1 }), { maxLength: 2 })
          .map(
            (to): Record<string, string[]> =>
              providerCount > 1 && to.length > 0 ? { p0: to.map((i) => `p${i}`) } : {},
          ),
      },
      { requiredKeys: ['admission', 'routing'] },
    )
    .map((g) =>
      g.hedging?.maxAttempts !== undefined && g.retries ? { ...g, retries: { ...g.retries, max: 0 } } : g,
    );

export interface ArbitraryScenarioOptions {
  /** Upper bound of the arrival rate (per second). */
  maxRate?: number;
  /** Upper bound of the duration (ms). */
  maxDurationMs?: number;
}

/** A random valid scenario (as written by a user), warmup 0. */
export function arbitraryScenario(options: ArbitraryScenarioOptions = {}): fc.Arbitrary<ScenarioInput> {
  const maxRate = options.maxRate ?? 8;
  const maxDurationMs = options.maxDurationMs ?? 180_000;
  return fc
    .record({
      providers,
      durationMs: ms(10_000, maxDurationMs),
      rate: fc.double({ min: 0.2, max: maxRate, noNaN: true }),
      drainMs: fc.constantFrom(0, 2_000, 60_000, 600_000),
      classCount: fc.integer({ min: 1, max: 2 }),
    })
    .chain(({ providers, durationMs, rate, drainMs, classCount }) =>
      fc
        .record(
          {
            classes: fc.tuple(
              ...Array.from({ length: classCount }, (_, i) =>
                fc.record(
                  {
                    name: fc.constant(`c${i}`),
                    share: fc.double({ min: 0.1, max: 1, noNaN: true }),
                    promptTokens: fc
                      .tuple(fc.integer({ min: 10, max: 2000 }), fc.double({ min: 1, max: 4, noNaN: true }))
                      .map(([median, k]) => ({
                        dist: 'lognormal' as const,
                        median,
                        p99: Math.round(median * k),
                      })),
                    outputTokens: fc
                      .tuple(fc.integer({ min: 1, max: 300 }), fc.double({ min: 1, max: 4, noNaN: true }))
                      .map(([median, k]) => ({
                        dist: 'lognormal' as const,
                        median,
                        p99: Math.round(median * k),
                      })),
                    priority: fc.integer({ min: 0, max: 2 }),
                    deadline: ms(500, 30_000),
                    stream: fc.boolean(),
                    cancelAfter: fc.record({ dist: fc.constant('exponential' as const), mean: ms(50, 5000) }),
                    debounce: ms(10, 500),
                    client,
                    providers: fc
                      .subarray(
                        providers.map((p) => p.name),
                        { minLength: 1 },
                      )
                      .map((names) => [...names]),
                  },
                  { requiredKeys: ['name', 'share', 'promptTokens', 'outputTokens', 'stream'] },
                ),
              ),
            ),
            client,
            gateway: gateway(providers.length),
            faults: fc.array(fault(providers.length, durationMs), { maxLength: 3 }),
          },
          { requiredKeys: ['classes', 'client', 'gateway', 'faults'] },
        )
        .map(
          ({ classes, client, gateway, faults }): ScenarioInput => ({
            name: 'arbitrary',
            duration: durationMs,
            warmup: 0,
            drain: drainMs,
            providers,
            faults,
            workload: { arrivals: { process: 'poisson', rate }, classes, client },
            gateway,
          }),
        ),
    );
}
