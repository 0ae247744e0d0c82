/**
 * Property tests of the importers: any JSON value, any text, and any well-formed Portkey or
 * LiteLLM config. Whatever the input, an import returns or throws ConfigInvalidError (never
 * anything else); a well-formed config always gives a scenario that validates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfigText } from '../../src/import/config-text.ts';
import { importLitellm } from '../../src/import/litellm.ts';
import { importPortkey } from '../../src/import/portkey.ts';
import { scenarioOf } from './helpers.ts';

const SEED = 15;
const RUNS = 150;

/** Runs `f`; a ConfigInvalidError is a fine answer, anything else thrown fails the property. */
function tolerant(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ConfigInvalidError)) throw e;
    expect(e.problems.length).toBeGreaterThan(0);
  }
}

const statusCodes = fc.array(fc.constantFrom(400, 408, 429, 500, 502, 503, 504), {
  minLength: 1,
  maxLength: 4,
});
const retry = fc.record(
  {
    attempts: fc.integer({ min: 0, max: 5 }),
    on_status_codes: statusCodes,
    use_retry_after_header: fc.boolean(),
  },
  { requiredKeys: ['attempts'] },
);
const leaf = fc.record(
  {
    provider: fc.constantFrom('openai', 'anthropic', 'groq', 'azure-openai'),
    override_params: fc.record({ model: fc.constantFrom('gpt-4o', 'gpt-4o-mini', 'claude') }),
    retry,
    request_timeout: fc.integer({ min: 1, max: 60_000 }),
    weight: fc.integer({ min: 1, max: 10 }),
  },
  { requiredKeys: ['provider'] },
);
const portkeyTree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('group')),
  group: fc.record(
    {
      strategy: fc.record(
        { mode: fc.constantFrom('single', 'loadbalance', 'fallback'), on_status_codes: statusCodes },
        { requiredKeys: ['mode'] },
      ),
      targets: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
      retry,
      weight: fc.integer({ min: 1, max: 10 }),
    },
    { requiredKeys: ['strategy', 'targets'] },
  ),
})).group;

const litellmConfig = fc
  .record({
    deployments: fc.array(
      fc.record(
        {
          group: fc.constantFrom('big', 'small', 'tiny'),
          rpm: fc.integer({ min: 1, max: 10_000 }),
          tpm: fc.integer({ min: 1, max: 1_000_000 }),
          weight: fc.integer({ min: 0, max: 5 }),
        },
        { requiredKeys: ['group'] },
      ),
      { minLength: 1, maxLength: 6 },
    ),
    routing_strategy: fc.constantFrom(
      'simple-shuffle',
      'least-busy',
      'usage-based-routing',
      'usage-based-routing-v2',
      'latency-based-routing',
      'cost-based-routing',
    ),
    num_retries: fc.integer({ min: 0, max: 5 }),
    retry_policy: fc.record({
      RateLimitErrorRetries: fc.integer({ min: 0, max: 5 }),
      TimeoutErrorRetries: fc.integer({ min: 0, max: 5 }),
    }),
    allowed_fails: fc.integer({ min: 0, max: 10 }),
    cooldown_time: fc.integer({ min: 0, max: 600 }),
    timeout: fc.integer({ min: 1, max: 600 }),
    fallback: fc.boolean(),
  })
  .map((c) => {
    const groups = [...new Set(c.deployments.map((d) => d.group))];
    return {
      model_list: c.deployments.map((d) => ({
        model_name: d.group,
        litellm_params: { model: `openai/${d.group}`, rpm: d.rpm, tpm: d.tpm, weight: d.weight },
      })),
      router_settings: {
        routing_strategy: c.routing_strategy,
        num_retries: c.num_retries,
        retry_policy: c.retry_policy,
        allowed_fails: c.allowed_fails,
        cooldown_time: c.cooldown_time,
        timeout: c.timeout,
        ...(c.fallback && groups.length > 1 ? { fallbacks: [{ [groups[0]!]: groups.slice(1) }] } : {}),
      },
    };
  });

describe('import fuzz', () => {
  it('any text: parsed or refused with ConfigInvalidError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        tolerant(() => importPortkey(parseConfigText(text, 'c.json')));
        tolerant(() => importLitellm(parseConfigText(text, 'c.yaml')));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('any JSON value: imported or refused with ConfigInvalidError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = JSON.stringify(value);
        tolerant(() => importPortkey(parseConfigText(text, 'c.json')));
        tolerant(() => importLitellm(parseConfigText(text, 'c.yaml')));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('any well-formed Portkey config gives a scenario that validates', async () => {
    await fc.assert(
      fc.asyncProperty(portkeyTree, async (config) => {
        const imported = importPortkey(parseConfigText(JSON.stringify(config), 'c.json'));
        await scenarioOf(imported);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('any well-formed LiteLLM config gives a scenario that validates', async () => {
    await fc.assert(
      fc.asyncProperty(litellmConfig, async (config) => {
        const imported = importLitellm(parseConfigText(JSON.stringify(config), 'c.yaml'));
        await scenarioOf(imported);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
