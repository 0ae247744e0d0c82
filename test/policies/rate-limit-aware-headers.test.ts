/**
 * rate-limit-aware with `source: headers`, end to end: the providers' rate-limit headers reach the
 * policy through outcome views, so it sees a limit the gateway was never told of (a rate-limit
 * storm cuts one account's limits) and steers around it before the 429s come; its own window,
 * which knows only the configured limits, does not.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

function scenario(params: Record<string, unknown>) {
  const provider = (name: string) => ({
    name,
    kind: 'api',
    api: 'anthropic-messages',
    models: ['chat'],
    ttft: '300ms',
    outputRate: '100/s',
    rateLimit: { rpm: 120, inputTpm: 1_000_000 },
  });
  return loadScenarioObject({
    name: 'headers',
    duration: '3m',
    providers: [provider('a'), provider('b')],
    faults: [{ provider: 'a', kind: 'rate-limit-storm', at: '30s', for: '1m', limitFactor: 0.1 }],
    workload: {
      classes: [{ name: 'chat', arrivals: { rate: '2/s' }, promptTokens: 1000, outputTokens: 100 }],
    },
    gateway: { routing: { policy: 'rate-limit-aware', params } },
  });
}

async function run(params: Record<string, unknown>, seed: number): Promise<RunResult> {
  return simulate(await scenario(params), { seed });
}

describe('rate-limit-aware, source: headers, in a run', () => {
  it.each([1, 2])(
    'seed %i: steers around a storm it reads from the headers; the window does not',
    async (seed) => {
      const window = await run({ limits: { a: { rpm: 120 }, b: { rpm: 120 } } }, seed);
      const headers = await run({ source: 'headers' }, seed);
      const limitedA = (r: RunResult) => r.providers['a']!.statuses['rate_limited'] ?? 0;
      // Measured (seeds 1-2): the window meets 11-14 429s at `a` (3.2-3.8% of requests fail: no
      // retries); headers mode none, by sending `b` 267-286 attempts against 177-195.
      expect(limitedA(window)).toBeGreaterThan(5);
      expect(window.requests.errorShare).toBeGreaterThan(0.01);
      expect(headers.requests.errorShare).toBe(0);
      expect(limitedA(headers)).toBeLessThan(limitedA(window) / 4);
      expect(headers.providers['b']!.attempts).toBeGreaterThan(window.providers['b']!.attempts);
    },
  );
});
