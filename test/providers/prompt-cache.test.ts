/**
 * Hosted-API prompt caching: a prefix seen by the same provider within the TTL is billed at the
 * cached price and shortens TTFT; routing that scatters a prefix across providers loses it.
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const api = (name: string) => ({
  name,
  kind: 'api',
  capacity: 100,
  ttft: { dist: 'deterministic', value: '200ms' },
  outputRate: { dist: 'deterministic', value: '100/s' },
  pricing: { inputPerMTok: 1, outputPerMTok: 0 },
  promptCache: { ttl: '5m', cachedInputPerMTok: 0.1, ttftFactor: 0.5 },
});

const scenario = (providers: unknown[], routing: string) => ({
  name: 'cache',
  duration: '10s',
  providers,
  workload: {
    arrivals: { process: 'uniform', rate: '1/s' },
    classes: [{ name: 'agent', promptTokens: 1500, outputTokens: 1, prefix: { groups: 1, tokens: 1000 } }],
  },
  gateway: { routing },
});

describe('prompt caching', () => {
  it('bills cached prefix tokens at the cached price, exactly', async () => {
    const r = await simulate(await loadScenarioObject(scenario([api('a')], 'round-robin')));
    const n = r.requests.offered;
    expect(n).toBe(10);
    // The first request fills the cache; the other nine hit it for 1000 of their 1500 tokens.
    expect(r.cost.cachedInputTokens).toBe(9 * 1000);
    expect(r.cost.totalUsd).toBeCloseTo((1500 * 1 + 9 * (500 * 1 + 1000 * 0.1)) / 1e6, 12);
    // TTFT: 200 ms on a miss; a hit adds half the time for its cached two thirds: 133.3 ms.
    expect(r.latency.ttft.max).toBeCloseTo(200, 6);
    expect(r.latency.ttft.min).toBeCloseTo(200 * (1 - (1000 / 1500) * 0.5), 3);
  });

  it('loses the cache when routing scatters the prefix across providers', async () => {
    const sticky = await simulate(
      await loadScenarioObject(scenario([api('a'), api('b')], 'prefix-affinity')),
    );
    const scattered = await simulate(await loadScenarioObject(scenario([api('a'), api('b')], 'round-robin')));
    expect(sticky.cost.cachedInputTokens).toBe(9 * 1000);
    // Round-robin: each provider misses once (its first sight of the prefix).
    expect(scattered.cost.cachedInputTokens).toBe(8 * 1000);
    expect(scattered.cost.totalUsd).toBeGreaterThan(sticky.cost.totalUsd);
  });
});
