/**
 * LiteLLM router configs -> Floodgate: deployments, routing strategies, retries, cooldowns,
 * fallbacks and timeouts as LiteLLM's Router reads them (router.py, router_utils/), with what is
 * approximated said in notes.
 */
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfigText } from '../../src/import/config-text.ts';
import { importLitellm } from '../../src/import/litellm.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { litellm, QUICK_PROVIDERS, scenarioOf } from './helpers.ts';

const TWO_GROUPS = `
model_list:
  - { model_name: big, litellm_params: { model: openai/gpt-4o, rpm: 60 } }
  - { model_name: big, litellm_params: { model: azure/gpt-4o, rpm: 180 }, model_info: { id: big-azure } }
  - { model_name: small, litellm_params: { model: openai/gpt-4o-mini } }
`;

function problems(yaml: string): string[] {
  try {
    importLitellm(parseConfigText(yaml, 'config.yaml'));
  } catch (e) {
    if (e instanceof ConfigInvalidError)
      return e.problems.map((p) => `${p.line ?? '-'}: ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('floodgate import litellm', () => {
  it('deployments are providers serving their group; model_info.id names one; rpm/tpm are quotas', () => {
    const g = litellm(TWO_GROUPS);
    expect(g.providers.map((p) => [p.name, p.models, p.rateLimit])).toEqual([
      ['big-1', ['big'], { rpm: 60 }],
      ['big-azure', ['big'], { rpm: 180 }],
      ['small-1', ['small'], undefined],
    ]);
    expect(g.classModels).toEqual(['big', 'small']);
  });

  it('simple-shuffle (the default) weights by rpm when no deployment has a weight; default num_retries 2; cooldowns on', () => {
    const g = litellm(TWO_GROUPS);
    expect(g.gatewaySection['routing']).toEqual({
      policy: 'random',
      params: { weights: { 'big-1': 60, 'big-azure': 180 } },
    });
    expect(g.gatewaySection['retries']).toMatchObject({
      max: 2,
      on: ['rate-limited', 'server-error', 'timeout'],
    });
    expect(g.gatewaySection['health']).toEqual({ policy: 'cooldown', params: { cooldownMs: 5000 } });
  });

  it.each([
    ['least-busy', { policy: 'least-outstanding' }],
    [
      'usage-based-routing-v2',
      { policy: 'rate-limit-aware', params: { limits: { 'big-1': { rpm: 60 }, 'big-azure': { rpm: 180 } } } },
    ],
    ['latency-based-routing', { policy: 'peak-ewma', params: {} }],
    ['cost-based-routing', { policy: 'cost-aware' }],
  ])('routing_strategy %s', (strategy, routing) => {
    const g = litellm(`${TWO_GROUPS}router_settings: { routing_strategy: ${strategy} }\n`);
    expect(g.gatewaySection['routing']).toEqual(routing);
  });

  it('router_settings win over litellm_settings; retry_policy, cooldowns, fallbacks and timeout', () => {
    const g = litellm(`${TWO_GROUPS}
router_settings:
  num_retries: 4
  retry_policy: { RateLimitErrorRetries: 0 }
  allowed_fails: 1
  cooldown_time: 30
  fallbacks: [{ big: [small] }]
  timeout: 12.5
litellm_settings: { num_retries: 1, disable_cooldowns: false }
`);
    expect(g.gatewaySection).toMatchObject({
      retries: { max: 4, on: ['server-error', 'timeout'] },
      health: { policy: 'cooldown', params: { cooldownMs: 30_000, allowedFails: 1 } },
      fallbacks: { 'big-1': ['small-1'], 'big-azure': ['small-1'] },
      fallbacksChangeModel: true,
      attemptTimeout: '12500ms',
    });
    expect(
      litellm(`${TWO_GROUPS}router_settings: { disable_cooldowns: true }\n`).gatewaySection['health'],
    ).toBeUndefined();
  });

  it('simulated: a group down falls back to the other group', async () => {
    const g = litellm(`${TWO_GROUPS}router_settings: { num_retries: 1, fallbacks: [{ big: [small] }] }\n`);
    const { loaded } = await scenarioOf(
      g,
      `${QUICK_PROVIDERS}
duration: 10s
faults: [{ provider: big-1, kind: outage, at: 0s, for: 1h }, { provider: big-azure, kind: outage, at: 0s, for: 1h }]
workload: { arrivals: { process: uniform, rate: 1/s }, classes: [{ name: c, models: [big], stream: false, outputTokens: { dist: deterministic, value: 10 } }] }
`,
    );
    const r = await simulate(loaded);
    expect(r.requests.completed).toBe(r.requests.offered);
    expect(r.providers['small-1']!.attempts).toBe(r.requests.offered);
  });

  it('reports what it cannot model, and unknown keys with a suggestion', () => {
    const g = litellm(`${TWO_GROUPS}
router_settings: { context_window_fallbacks: [{ small: [big] }], num_retires: 3 }
general_settings: { master_key: x }
`);
    expect(g.notes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'not-modelled', path: 'router_settings.context_window_fallbacks' }),
        expect.objectContaining({ kind: 'not-modelled', path: 'general_settings' }),
        expect.objectContaining({
          kind: 'unknown',
          path: 'router_settings.num_retires',
          message: expect.stringContaining("did you mean 'num_retries'"),
        }),
      ]),
    );
  });

  it('malformed configs: every problem with line, path, expected and found', () => {
    expect(
      problems(`model_list:
  - model_name: big
    litellm_params: { model: openai/gpt-4o, rpm: lots }
  - litellm_params: { model: x }
router_settings:
  routing_strategy: least_busy
  fallbacks: [{ big: [smal] }]
  num_retries: 2.5
`),
    ).toEqual([
      "3: model_list[0].litellm_params.rpm: expected a number >= 0, got the string 'lots'",
      '4: model_list[1].model_name: expected a non-empty string, got nothing',
      "6: router_settings.routing_strategy: expected one of simple-shuffle, least-busy, usage-based-routing, usage-based-routing-v2, latency-based-routing, cost-based-routing, got the string 'least_busy' (did you mean 'least-busy'?)",
      '8: router_settings.num_retries: expected a whole number >= 0 and <= 100, got 2.5',
      "7: router_settings.fallbacks[0].big[0]: expected a model_name from model_list (big), got 'smal'",
    ]);
    expect(problems('model_list: []\n')).toEqual([
      '1: model_list: expected at least one deployment, got an empty list',
    ]);
    expect(problems('router_settings: {}\n')).toEqual([
      '1: model_list: expected model_list (the deployments), got nothing',
    ]);
  });
});
