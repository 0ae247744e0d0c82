/**
 * Portkey configs -> Floodgate: each strategy, retry and timeout maps to the gateway semantics
 * Portkey's source has (src/handlers/handlerUtils.ts tryTargetsRecursively, retryHandler.ts), and
 * the simulated run does what Portkey would: retry a target its attempts, then fall back.
 */
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfigText } from '../../src/import/config-text.ts';
import { importPortkey } from '../../src/import/portkey.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { portkey, QUICK_PROVIDERS, scenarioOf } from './helpers.ts';

const openai = (model = 'gpt-4o') => ({ provider: 'openai', override_params: { model } });

function problems(config: string): string[] {
  try {
    importPortkey(parseConfigText(config, 'config.json'));
  } catch (e) {
    if (e instanceof ConfigInvalidError)
      return e.problems.map((p) => `${p.line ?? '-'}: ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('floodgate import portkey: strategies', () => {
  it('fallback: the first target takes every first attempt; the rest are its chain, in order', () => {
    const g = portkey({
      strategy: { mode: 'fallback', on_status_codes: [429, 503] },
      targets: [
        openai(),
        { provider: 'anthropic' },
        { provider: 'openai', override_params: { model: 'gpt-4o-mini' } },
      ],
    });
    expect(g.providers.map((p) => p.name)).toEqual(['openai-1', 'anthropic-2', 'openai-3']);
    expect(g.providers[0]!.models).toEqual(['gpt-4o']);
    expect(g.gatewaySection['routing']).toEqual({ policy: 'random', params: { weights: { 'openai-1': 1 } } });
    expect(g.gatewaySection['fallbacks']).toEqual({ 'openai-1': ['anthropic-2', 'openai-3'] });
    expect(g.gatewaySection['retryThenFallback']).toMatchObject({
      fallbackOn: ['rate-limited', 'server-error'],
    });
    // Three targets, no retries: at most two fallbacks.
    expect(g.gatewaySection['retries']).toMatchObject({ max: 2 });
  });

  it('fallback without on_status_codes moves on at any failure Portkey sees (not a stream cut: that came with a 200)', () => {
    const g = portkey({ strategy: { mode: 'fallback' }, targets: [openai(), openai()] });
    expect(g.gatewaySection['retryThenFallback']).toMatchObject({
      fallbackOn: ['rate-limited', 'server-error', 'timeout', 'bad-request'],
    });
  });

  it('loadbalance: weights (default 1) normalised over the tree; a nested fallback keeps its chain', () => {
    const g = portkey({
      strategy: { mode: 'loadbalance' },
      targets: [
        { weight: 3, strategy: { mode: 'fallback' }, targets: [openai(), { provider: 'anthropic' }] },
        { provider: 'groq' },
      ],
    });
    expect(g.gatewaySection['routing']).toEqual({
      policy: 'random',
      params: { weights: { 'openai-1': 0.75, 'groq-3': 0.25 } },
    });
    expect(g.gatewaySection['fallbacks']).toEqual({ 'openai-1': ['anthropic-2'] });
  });

  it('a loadbalance reached by a fallback goes to its heaviest target, and says so', () => {
    const g = portkey({
      strategy: { mode: 'fallback' },
      targets: [
        openai(),
        {
          strategy: { mode: 'loadbalance' },
          targets: [
            { provider: 'a', weight: 1 },
            { provider: 'b', weight: 4 },
          ],
        },
      ],
    });
    expect(g.gatewaySection['fallbacks']).toEqual({ 'openai-1': ['b-3'] });
    expect(g.notes).toContainEqual(expect.objectContaining({ kind: 'approximated', path: 'targets[1]' }));
  });

  it('single uses targets[0]; the others are reported unused', () => {
    const g = portkey({ strategy: { mode: 'single' }, targets: [openai(), { provider: 'anthropic' }] });
    expect(g.providers.map((p) => p.name)).toEqual(['openai-1']);
    expect(g.notes).toContainEqual(expect.objectContaining({ kind: 'not-modelled', path: 'targets[1]' }));
  });

  it('a bare provider config is one target', () => {
    const g = portkey({ provider: 'openai', api_key: 'x', retry: { attempts: 3 } });
    expect(g.providers.map((p) => p.name)).toEqual(['openai-1']);
    expect(g.gatewaySection['retryThenFallback']).toMatchObject({ perProvider: { 'openai-1': 3 } });
  });
});

describe('floodgate import portkey: retries and timeouts', () => {
  it('retry: attempts per target, inherited whole from the nearest ancestor, Portkey default codes', () => {
    const g = portkey({
      strategy: { mode: 'fallback' },
      retry: { attempts: 2, on_status_codes: [429] },
      targets: [openai(), { provider: 'anthropic', retry: { attempts: 4 } }],
    });
    expect(g.gatewaySection['retryThenFallback']).toMatchObject({
      perProvider: { 'openai-1': 2, 'anthropic-2': 4 },
    });
    // anthropic's own retry has Portkey's default codes (429, 500, 502, 503, 504): the union is used.
    expect(g.gatewaySection['retries']).toMatchObject({ on: ['rate-limited', 'server-error'], max: 7 });
    expect(g.notes.map((n) => n.message).join('\n')).toMatch(/different status codes/);
  });

  it("async-retry's backoff: 1 s doubling, no jitter; retry-after only with use_retry_after_header", () => {
    const off = portkey({ provider: 'openai', retry: { attempts: 3 } });
    expect(off.gatewaySection['retries']).toMatchObject({
      backoff: { base: '1000ms', multiplier: 2, cap: '4000ms', jitter: 'none' },
      respectRetryAfter: false,
    });
    const on = portkey({ provider: 'openai', retry: { attempts: 1, use_retry_after_header: true } });
    expect(on.gatewaySection['retries']).toMatchObject({ respectRetryAfter: true });
  });

  it('attempts 0 retries nothing (Portkey drops the codes too)', () => {
    const g = portkey({ provider: 'openai', retry: { attempts: 0, on_status_codes: [429] } });
    expect(g.gatewaySection['retries']).toMatchObject({ max: 0, on: [] });
  });

  it("529 is Anthropic's overloaded_error: a fallback on 529 moves on at an overload, not at a 429 or a 5xx", () => {
    const g = portkey({
      strategy: { mode: 'fallback', on_status_codes: [529] },
      targets: [
        { provider: 'anthropic', retry: { attempts: 3, on_status_codes: [429] } },
        { provider: 'openai' },
      ],
    });
    expect(g.gatewaySection['retryThenFallback']).toMatchObject({ fallbackOn: ['overloaded'] });
    expect(g.gatewaySection['retries']).toMatchObject({ on: ['rate-limited'] });
    expect(g.notes.map((n) => n.message).join('\n')).not.toMatch(/never answered/);
  });

  it('request_timeout is the per-attempt timeout; 408 counts as a timeout in status code lists', () => {
    const g = portkey({
      strategy: { mode: 'fallback', on_status_codes: [408] },
      request_timeout: 5000,
      targets: [openai(), openai()],
    });
    expect(g.gatewaySection['attemptTimeout']).toBe('5000ms');
    expect(g.gatewaySection['retryThenFallback']).toMatchObject({ fallbackOn: ['timeout'] });
  });

  it('simulated: a target down is retried its attempts, then the fallback serves', async () => {
    const g = portkey({
      strategy: { mode: 'fallback' },
      targets: [{ ...openai(), retry: { attempts: 2 } }, { provider: 'anthropic' }],
    });
    const { loaded } = await scenarioOf(
      g,
      `${QUICK_PROVIDERS}
duration: 10s
faults: [{ provider: openai-1, kind: outage, at: 0s, for: 1h }]
workload: { arrivals: { process: uniform, rate: 1/s }, classes: [{ name: c, stream: false, outputTokens: { dist: deterministic, value: 10 } }] }
`,
    );
    const r = await simulate(loaded);
    expect(r.requests.completed).toBe(r.requests.offered);
    expect(r.providers['openai-1']!.attempts).toBe(3 * r.requests.offered);
    expect(r.providers['anthropic-2']!.attempts).toBe(r.requests.offered);
  });
});

describe('floodgate import portkey: what it cannot take', () => {
  it('keys it does not model are reported by path, unknown ones with a suggestion', () => {
    const g = portkey({ provider: 'openai', cache: { mode: 'simple' }, retyr: { attempts: 1 } });
    expect(g.notes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'not-modelled', path: 'cache' }),
        expect.objectContaining({
          kind: 'unknown',
          path: 'retyr',
          message: expect.stringContaining("did you mean 'retry'"),
        }),
      ]),
    );
  });

  it('malformed configs: every problem, with line, path, expected and found', () => {
    const text = `{
  "strategy": { "mode": "fallbak" },
  "targets": [
    { "provider": "openai", "retry": { "on_status_codes": [429] } },
    { "provider": "anthropic", "retry": { "attempts": -1 } },
    { "strategy": { "mode": "single" }, "targets": [] },
    { "provider": "x", "request_timeout": "10s" }
  ]
}`;
    expect(problems(text)).toEqual([
      "2: strategy.mode: expected one of single, loadbalance, fallback, conditional, got the string 'fallbak' (did you mean 'fallback'?)",
      '4: targets[0].retry.attempts: expected attempts (a whole number of retries), got nothing',
      '5: targets[1].retry.attempts: expected a whole number >= 0 and <= 100, got -1',
      '6: targets[2].targets: expected at least one target, got an empty list',
      "7: targets[3].request_timeout: expected a number >= 1 and <= 86400000, got the string '10s'",
    ]);
  });

  it('invalid JSON, strategy without targets, targets without strategy, all weights 0', () => {
    expect(problems('{ "strategy": ')[0]).toMatch(/^1: : invalid JSON\/YAML/);
    expect(problems('{ "strategy": { "mode": "single" } }')).toEqual([
      '1: strategy: expected targets beside strategy, got none',
    ]);
    expect(problems('{ "targets": [{ "provider": "a" }] }')[0]).toMatch(
      /targets: expected a strategy beside targets/,
    );
    expect(
      problems('{ "strategy": { "mode": "loadbalance" }, "targets": [{ "provider": "a", "weight": 0 }] }')[0],
    ).toMatch(/expected some target with a weight above 0/);
    expect(problems('[1, 2]')[0]).toMatch(/^1: : expected an object, got a list of 2/);
  });
});
