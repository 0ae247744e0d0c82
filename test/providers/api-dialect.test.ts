import { describe, expect, it } from 'vitest';
import { ApiProvider } from '../../src/providers/api/api-provider.ts';
import type { Attempt } from '../../src/providers/attempt.ts';
import { API_DIALECTS, API_OUTCOMES, DIALECTS, dialectOf } from '../../src/providers/dialects.ts';
import { FaultyProvider } from '../../src/providers/faults/faulty-provider.ts';
import { loadScenarioObject, validateScenario } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { apiConfig, makeAttempt, Simulation, SinkLog, submitAt } from './harness.ts';

const noDraws = () => {
  throw new Error('deterministic latency draws nothing');
};

function setup(fields: Parameters<typeof apiConfig>[0]) {
  const sim = new Simulation();
  const sink = new SinkLog(sim);
  const config = apiConfig(fields);
  const provider = new FaultyProvider(
    (s, faults) => new ApiProvider(config, sim, s, noDraws, faults),
    sim,
    sink,
    noDraws,
    { answerMs: config.rtt },
  );
  const submit = (atMs: number, prompt = 100, output = 10): Attempt => {
    const a = makeAttempt({ atMs, prompt, output });
    submitAt(sim, provider, a);
    return a;
  };
  return { sim, provider, submit };
}

describe('dialect table', () => {
  it('has every outcome for every dialect, with the providers’ statuses and types', () => {
    for (const name of API_DIALECTS) {
      const d = DIALECTS[name];
      expect(d.name).toBe(name);
      for (const o of API_OUTCOMES) expect(d.errors[o].httpStatus).toBeGreaterThanOrEqual(400);
    }
    const anthropic = DIALECTS['anthropic-messages'].errors;
    expect([anthropic['rate-limited'].httpStatus, anthropic['rate-limited'].type]).toEqual([
      429,
      'rate_limit_error',
    ]);
    expect([anthropic.overloaded.httpStatus, anthropic.overloaded.type, anthropic.overloaded.kind]).toEqual([
      529,
      'overloaded_error',
      'overloaded',
    ]);
    const openai = DIALECTS['openai-chat'].errors;
    expect(openai['rate-limited'].code).toBe('rate_limit_exceeded');
    expect(openai.quota.code).toBe('insufficient_quota');
    // OpenAI does not tell an overload apart from other 5xx.
    expect(openai.overloaded.kind).toBe('server-error');
    const gemini = DIALECTS.gemini.errors;
    expect([gemini['rate-limited'].type, gemini.overloaded.type]).toEqual([
      'RESOURCE_EXHAUSTED',
      'UNAVAILABLE',
    ]);
    expect(DIALECTS.gemini.rateLimitHeaders).toBeUndefined();
    expect(DIALECTS['anthropic-messages'].cache).toMatchObject({ read: 0.1, write: 1.25 });
    expect(DIALECTS['anthropic-messages'].sdkRetries.statuses).toContain('>=500');
    expect(dialectOf(undefined)).toBe(DIALECTS['openai-chat']);
  });

  it('a scenario names a dialect per api provider; an unknown one is refused', () => {
    const scenario = (api: string) => ({
      name: 's',
      duration: '1m',
      providers: [{ name: 'p', kind: 'api', api }],
      workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
    });
    expect((validateScenario(scenario('anthropic-messages')).providers[0] as { api?: string }).api).toBe(
      'anthropic-messages',
    );
    expect(() => validateScenario(scenario('anthropic'))).toThrow(/api/);
  });
});

describe('api provider rate-limit headers', () => {
  it('count down with each request and reset as the token buckets refill', () => {
    const { sim, submit } = setup({
      api: 'anthropic-messages',
      ttft: '100ms',
      outputRate: '1000/s',
      rateLimit: { rpm: 60, inputTpm: 6000, outputTpm: 600 },
    });
    const a = submit(0, 1000, 100);
    const b = submit(0, 1000, 100);
    const c = submit(30_000, 1000, 100);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.status).toBe('ok');
    expect(a.rateLimit?.requests).toEqual({ limit: 60, remaining: 59, resetMs: 1000 });
    expect(a.rateLimit?.inputTokens).toEqual({ limit: 6000, remaining: 5000, resetMs: 10_000 });
    expect(a.rateLimit?.outputTokens).toEqual({ limit: 600, remaining: 600, resetMs: 0 });
    expect(b.rateLimit?.requests).toEqual({ limit: 60, remaining: 58, resetMs: 2000 });
    expect(b.rateLimit?.inputTokens).toEqual({ limit: 6000, remaining: 4000, resetMs: 20_000 });
    // 30 s later everything has refilled; output tokens were debited at the end of a and b.
    expect(c.rateLimit?.requests).toEqual({ limit: 60, remaining: 59, resetMs: 1000 });
    expect(c.rateLimit?.inputTokens).toEqual({ limit: 6000, remaining: 5000, resetMs: 10_000 });
    expect(c.rateLimit?.outputTokens).toEqual({ limit: 600, remaining: 600, resetMs: 0 });
  });

  it('a 429 says nothing is left; OpenAI reports no output bucket; Gemini sends no headers', () => {
    const limits = { rpm: 1 };
    const openai = setup({ ttft: '100ms', outputRate: '1000/s', rateLimit: { ...limits, outputTpm: 100 } });
    const first = openai.submit(0);
    const refused = openai.submit(0);
    openai.sim.run(Number.POSITIVE_INFINITY);
    expect(refused.status).toBe('rate_limited');
    expect(refused.rateLimit?.requests).toEqual({ limit: 1, remaining: 0, resetMs: 60_000 });
    expect(first.rateLimit?.outputTokens).toBeUndefined();
    const gemini = setup({ api: 'gemini', ttft: '100ms', outputRate: '1000/s', rateLimit: limits });
    const g = gemini.submit(0);
    gemini.sim.run(Number.POSITIVE_INFINITY);
    expect(g.rateLimit).toBeUndefined();
    expect(g.api).toBe('gemini');
  });

  it('headers are frozen data, and a provider without limits sends none', () => {
    const { sim, submit } = setup({ ttft: '100ms', outputRate: '1000/s' });
    const a = submit(0);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.rateLimit).toBeUndefined();
    const limited = setup({ ttft: '100ms', outputRate: '1000/s', rateLimit: { rpm: 5 } });
    const b = limited.submit(0);
    limited.sim.run(Number.POSITIVE_INFINITY);
    expect(Object.isFrozen(b.rateLimit)).toBe(true);
    expect(Object.isFrozen(b.rateLimit?.requests)).toBe(true);
  });

  it('responses whose figures repeat share the headers; any change gives new ones', () => {
    const { sim, submit } = setup({
      ttft: '100ms',
      outputRate: '1000/s',
      rateLimit: { rpm: 60, inputTpm: 6000 },
    });
    // A minute apart both buckets are full again before each request: the same figures.
    const a = submit(0);
    const b = submit(60_000);
    // A different prompt leaves a different input bucket; the requests bucket reads as before.
    const c = submit(120_000, 200);
    sim.run(Number.POSITIVE_INFINITY);
    expect(b.rateLimit).toBe(a.rateLimit);
    expect(c.rateLimit).not.toBe(a.rateLimit);
    expect(c.rateLimit?.requests).toBe(a.rateLimit?.requests);
    expect(a.rateLimit?.requests).toEqual({ limit: 60, remaining: 59, resetMs: 1000 });
    expect(a.rateLimit?.inputTokens).toEqual({ limit: 6000, remaining: 5900, resetMs: 1000 });
    expect(c.rateLimit?.inputTokens).toEqual({ limit: 6000, remaining: 5800, resetMs: 2000 });
  });
});

describe('prompt-cache writes by dialect', () => {
  const run = async (api: string | undefined) => {
    const provider = {
      name: 'a',
      kind: 'api',
      ...(api ? { api } : {}),
      ttft: { dist: 'deterministic', value: '200ms' },
      outputRate: { dist: 'deterministic', value: '100/s' },
      pricing: { inputPerMTok: 1, outputPerMTok: 0 },
      promptCache: { ttl: '5m', cachedInputPerMTok: 0.1 },
    };
    const input = {
      name: 'cache',
      duration: '10s',
      providers: [provider],
      workload: {
        arrivals: { process: 'uniform', rate: '1/s' },
        classes: [
          { name: 'agent', promptTokens: 1500, outputTokens: 1, prefix: { groups: 1, tokens: 1000 } },
        ],
      },
    };
    return simulate(await loadScenarioObject(input));
  };

  it('Anthropic bills a cache write at 1.25x the input price; OpenAI and Gemini do not', async () => {
    const reads = 9 * (500 * 1 + 1000 * 0.1);
    expect((await run('anthropic-messages')).cost.totalUsd).toBeCloseTo(
      (1500 + 1000 * 0.25 + reads) / 1e6,
      12,
    );
    expect((await run(undefined)).cost.totalUsd).toBeCloseTo((1500 + reads) / 1e6, 12);
    expect((await run('gemini')).cost.totalUsd).toBeCloseTo((1500 + reads) / 1e6, 12);
  });
});
