import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { run } from '../providers/harness.ts';

type GatewayInput = NonNullable<ScenarioInput['gateway']>;

const queue = (name: string) => ({ name, kind: 'queue' as const, servers: 100, service: '100ms' });

/** 10 requests (10/s for 1 s) always routed first to `primary`; providers in `outages` are down. */
function scenario(outages: string[], gateway: GatewayInput): ScenarioInput {
  return {
    name: 'retry-then-fallback',
    duration: '1s',
    providers: [queue('primary'), queue('second'), queue('third')],
    faults: outages.map((provider) => ({ provider, kind: 'outage' as const, at: 0, for: '1h' })),
    workload: { arrivals: { process: 'uniform', rate: '10/s' }, classes: [{ name: 'c' }] },
    gateway: {
      routing: { policy: 'random', params: { weights: { primary: 1 } } },
      fallbacks: { primary: ['second', 'third'] },
      ...gateway,
    },
    metrics: { interval: '1s' },
  };
}

const backoff = { base: '10ms', jitter: 'none' } as const;
const attempts = (r: Awaited<ReturnType<typeof run>>) =>
  ['primary', 'second', 'third'].map((p) => r.providers[p]!.attempts);

describe('gateway.retryThenFallback (Portkey: retry each target, then fall back)', () => {
  it('retries the failing target its retries, then each chain target its own, in order', async () => {
    const r = await run(
      scenario(['primary', 'second'], {
        retries: { max: 10, backoff },
        retryThenFallback: { retries: 2 },
      }),
    );
    expect(r.requests.completed).toBe(10);
    expect(attempts(r)).toEqual([30, 30, 10]);
    expect(r.requests.gatewayRetries).toBe(60);
  });

  it('takes per-provider retry counts', async () => {
    const r = await run(
      scenario(['primary', 'second'], {
        retries: { max: 10, backoff },
        retryThenFallback: { retries: 0, perProvider: { primary: 1 } },
      }),
    );
    expect(attempts(r)).toEqual([20, 10, 10]);
  });

  it('does not fall back on an error left out of fallbackOn', async () => {
    const r = await run(
      scenario(['primary'], {
        retries: { max: 10, backoff },
        retryThenFallback: { retries: 1, fallbackOn: ['rate-limited'] },
      }),
    );
    expect(r.requests.failed).toBe(10);
    expect(attempts(r)).toEqual([20, 0, 0]);
  });

  it('falls back at once on an error not retried on the same target', async () => {
    const r = await run(
      scenario(['primary'], {
        retries: { max: 10, on: ['rate-limited'], backoff },
        retryThenFallback: { retries: 3 },
      }),
    );
    expect(r.requests.completed).toBe(10);
    expect(attempts(r)).toEqual([10, 10, 0]);
  });

  it('still stops at retries.max', async () => {
    const r = await run(
      scenario(['primary', 'second'], {
        retries: { max: 2, backoff },
        retryThenFallback: { retries: 1 },
      }),
    );
    expect(r.requests.failed).toBe(10);
    expect(attempts(r)).toEqual([20, 10, 0]);
  });

  it('refuses a perProvider name that is not a provider', async () => {
    await expect(run(scenario([], { retryThenFallback: { perProvider: { nope: 1 } } }))).rejects.toThrow(
      /retryThenFallback\.perProvider\.nope.*expected one of the providers/,
    );
  });
});

describe('gateway.fallbacksChangeModel (LiteLLM: fallbacks name other model groups)', () => {
  const byModel = (fallbacksChangeModel: boolean): ScenarioInput => ({
    name: 'fallbacks-change-model',
    duration: '1s',
    providers: [
      { ...queue('big'), models: ['gpt-4'] },
      { ...queue('small'), models: ['gpt-3.5'] },
    ],
    faults: [{ provider: 'big', kind: 'outage', at: 0, for: '1h' }],
    workload: {
      arrivals: { process: 'uniform', rate: '10/s' },
      classes: [{ name: 'c', models: ['gpt-4'] }],
    },
    gateway: { retries: { max: 1, backoff }, fallbacks: { big: ['small'] }, fallbacksChangeModel },
    metrics: { interval: '1s' },
  });

  it('skips a fallback serving another model by default', async () => {
    const r = await run(byModel(false));
    expect(r.requests.failed).toBe(10);
    expect(r.providers['small']!.attempts).toBe(0);
  });

  it('falls back to another model group when set', async () => {
    const r = await run(byModel(true));
    expect(r.requests.completed).toBe(10);
    expect(r.providers['small']!.attempts).toBe(10);
  });
});
