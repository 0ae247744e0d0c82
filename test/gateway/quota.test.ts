/**
 * Quota refusals (issue 18): while a rate-limit storm cuts a dialect-speaking provider's limits to
 * zero, its 429s are quota refusals (`quota_exceeded`). The gateway tells them apart where the
 * dialect does (OpenAI's `insufficient_quota`: error kind `quota`), and sees a plain rate limit
 * where it does not (Anthropic, Gemini); `rate-limited` in a list covers `quota`.
 */
import { describe, expect, it } from 'vitest';
import { limiterSignal } from '../../src/gateway/limiter-signal.ts';
import { type AttemptOutcomeView, definePolicy, type RoutingPolicy } from '../../src/gateway/policy.ts';
import { coversError } from '../../src/gateway/try-listener.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ResolvedPolicy } from '../../src/simulator/policy-loader.ts';
import { resolvePolicies, runScenario, simulate } from '../../src/simulator/simulate.ts';

/**
 * `primary` (dialect `api`; no `api:` when undefined) with a fallback `backup`; from 10 s to 20 s a
 * storm cuts the primary's limits to zero. Every request goes to the primary first.
 */
async function quotaStorm(
  api: string | undefined,
  gateway: Record<string, unknown>,
  client?: Record<string, unknown>,
): Promise<RunResult> {
  return simulate(await loadScenarioObject(stormInput(api, gateway, client)), { seed: 1 });
}

function stormInput(
  api: string | undefined,
  gateway: Record<string, unknown>,
  client?: Record<string, unknown>,
) {
  const provider = (name: string) => ({
    name,
    kind: 'api',
    capacity: 50,
    ttft: '200ms',
    outputRate: '100/s',
    rateLimit: { rpm: 600 },
  });
  const input = {
    name: 'quota',
    duration: '30s',
    providers: [
      { ...provider('primary'), ...(api ? { api } : {}) },
      { ...provider('backup'), api: 'openai-chat' },
    ],
    faults: [{ provider: 'primary', kind: 'rate-limit-storm', at: '10s', for: '10s', limitFactor: 0 }],
    workload: {
      classes: [{ name: 'c', arrivals: { rate: '2/s' }, promptTokens: 100, outputTokens: 20 }],
      ...(client ? { client } : {}),
    },
    gateway: {
      routing: { policy: 'random', params: { weights: { primary: 1 } } },
      fallbacks: { primary: ['backup'] },
      ...gateway,
    },
  };
  return input;
}

/** Retries on `on` (fixed 100 ms backoff, retry-after respected), then the fallback on `fallbackOn`. */
function retryThenFallback(on: string[], fallbackOn: string[]) {
  return {
    retries: { max: 3, on, backoff: { base: '100ms', cap: '100ms' }, respectRetryAfter: true },
    retryThenFallback: { retries: 2, fallbackOn },
  };
}

describe('quota refusals', () => {
  it('rate-limited covers quota; quota alone covers only itself', () => {
    expect(coversError(['rate-limited'], 'quota')).toBe(true);
    expect(coversError(['quota'], 'quota')).toBe(true);
    expect(coversError(['quota'], 'rate-limited')).toBe(false);
    expect(coversError(['server-error'], 'quota')).toBe(false);
  });

  it('openai-chat, fallbackOn: [quota]: every refusal fails over at once and none is retried', async () => {
    const r = await quotaStorm('openai-chat', retryThenFallback(['server-error'], ['quota']));
    const primary = r.providers['primary']!;
    const quota = primary.statuses['quota_exceeded']!;
    expect(quota).toBeGreaterThan(8);
    expect(primary.statuses['rate_limited']).toBeUndefined();
    expect(primary.attempts).toBe(r.requests.offered); // one attempt each: none retried on the primary
    expect(r.providers['backup']!.attempts).toBe(quota);
    expect(r.requests.rateLimited).toBe(0);
  });

  it('openai-chat, fallbackOn: [rate-limited] covers quota too', async () => {
    const r = await quotaStorm('openai-chat', retryThenFallback(['server-error'], ['rate-limited']));
    expect(r.providers['backup']!.attempts).toBe(r.providers['primary']!.statuses['quota_exceeded']);
  });

  it('openai-chat, retries.on: [rate-limited]: refusals are retried without waiting for a retry-after', async () => {
    const r = await quotaStorm('openai-chat', retryThenFallback(['rate-limited'], ['overloaded']));
    const primary = r.providers['primary']!;
    const quota = primary.statuses['quota_exceeded']!;
    expect(r.providers['backup']!.attempts).toBe(0);
    // A refused request tries 3 times within the storm (100 ms apart, no 60 s wait) and ends
    // rate_limited (its terminal outcome, as for any 429); only those refused near the storm's end
    // pass on a retry.
    expect(r.requests.rateLimited).toBeGreaterThan(8);
    expect(r.requests.gatewayRetries).toBeGreaterThanOrEqual(2 * r.requests.rateLimited);
    expect(quota).toBeGreaterThanOrEqual(3 * r.requests.rateLimited);
  });

  it('a provider without api: keeps plain 429s, whose 60 s retry-after outlasts the storm', async () => {
    const r = await quotaStorm(undefined, retryThenFallback(['rate-limited'], ['quota']));
    const primary = r.providers['primary']!;
    expect(primary.statuses['quota_exceeded']).toBeUndefined();
    const refused = primary.statuses['rate_limited']!;
    expect(refused).toBeGreaterThan(8);
    // Retried once each, after the storm (the retry passes): no second refusal, no fallback.
    expect(r.requests.gatewayRetries).toBe(refused);
    expect(r.requests.rateLimited).toBe(0);
    expect(r.providers['backup']!.attempts).toBe(0);
  });

  it('anthropic-messages: its wire cannot tell a quota apart, so fallbackOn: [quota] does not fire', async () => {
    const alone = await quotaStorm('anthropic-messages', retryThenFallback(['server-error'], ['quota']));
    const quota = alone.providers['primary']!.statuses['quota_exceeded']!;
    expect(quota).toBeGreaterThan(8);
    expect(alone.providers['backup']!.attempts).toBe(0);
    expect(alone.requests.rateLimited).toBe(quota);
    const asRateLimit = await quotaStorm(
      'anthropic-messages',
      retryThenFallback(['server-error'], ['rate-limited']),
    );
    expect(asRateLimit.providers['backup']!.attempts).toBe(quota);
  });

  it('gRPC A6 pushback says do not retry a quota refusal', async () => {
    const r = await quotaStorm('openai-chat', {
      retries: { max: 3, on: ['rate-limited'], backoff: { base: '100ms', cap: '100ms' }, pushback: true },
    });
    expect(r.providers['primary']!.statuses['quota_exceeded']).toBeGreaterThan(8);
    expect(r.requests.gatewayRetries).toBe(0);
  });

  it('policies see quota_exceeded, without a retry-after, in outcome views; limiters read it as a drop', async () => {
    const loaded = await loadScenarioObject(stormInput('openai-chat', {}));
    const policies = await resolvePolicies(loaded);
    const seen: AttemptOutcomeView[] = [];
    const routing: ResolvedPolicy = {
      definition: definePolicy({
        name: 'primary-only',
        kind: 'routing',
        create: (): RoutingPolicy => ({
          route: (_req, targets) => targets[0]!,
          onOutcome: (o) => {
            if (o.status === 'quota_exceeded') seen.push(o);
          },
        }),
      }) as never,
      params: {},
    };
    runScenario(loaded, { ...policies, routing });
    expect(seen.length).toBeGreaterThan(8);
    for (const o of seen) {
      expect(o.target.name).toBe('primary');
      expect(o.retryAfterMs).toBe(0);
    }
    expect(limiterSignal('quota_exceeded')).toBe('drop');
  });

  it('a client retrying rate-limited retries a quota refusal the gateway passes on', async () => {
    const r = await quotaStorm('openai-chat', {}, { retries: { max: 2, on: ['rate-limited'] } });
    expect(r.providers['primary']!.statuses['quota_exceeded']).toBeGreaterThan(8);
    expect(r.requests.clientRetries).toBeGreaterThan(8);
  });
});
