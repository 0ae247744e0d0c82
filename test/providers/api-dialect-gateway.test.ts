/**
 * The gateway classifies an answer by the provider's dialect: an Anthropic 529 is an `overloaded`
 * error, which `server-error` in a list still covers; an openai-chat overload stays a server error.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coversError } from '../../src/gateway/try-listener.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile, loadScenarioObject } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FAILOVER = join(import.meta.dirname, '../../scenarios/dialect-failover.yaml');

async function failover(...sets: string[]): Promise<RunResult> {
  return simulate(await loadScenarioFile(FAILOVER, { overrides: sets.map(parseOverride) }), { seed: 1 });
}

/** One tiny anthropic-messages provider (1 slot, no queue) and 4 requests/s: mostly 529s. */
async function overloaded(
  api: string,
  gateway: Record<string, unknown>,
  client: Record<string, unknown> = {},
) {
  const input = {
    name: 'overload',
    duration: '30s',
    providers: [
      { name: 'p', kind: 'api', api, capacity: 1, queueCapacity: 0, ttft: '500ms', outputRate: '100/s' },
    ],
    workload: {
      classes: [{ name: 'c', arrivals: { rate: '4/s' }, promptTokens: 100, outputTokens: 50 }],
      client,
    },
    gateway,
  };
  return simulate(await loadScenarioObject(input), { seed: 1 });
}

describe('dialect error kinds at the gateway', () => {
  it('server-error covers overloaded; overloaded alone covers nothing else', () => {
    expect(coversError(['server-error'], 'overloaded')).toBe(true);
    expect(coversError(['overloaded'], 'overloaded')).toBe(true);
    expect(coversError(['overloaded'], 'server-error')).toBe(false);
    expect(coversError(['rate-limited'], 'overloaded')).toBe(false);
    expect(coversError(undefined, 'overloaded')).toBe(false);
  });

  it('fallbackOn: [server-error] still fails an Anthropic 529 over', async () => {
    const r = await failover('gateway.retryThenFallback.fallbackOn=[server-error]');
    const overloads = r.providers['anthropic']!.statuses['overloaded']!;
    expect(overloads).toBeGreaterThan(30);
    expect(r.providers['openai']!.attempts).toBe(overloads);
  });

  it('gateway retries on [overloaded] retry a 529 but not an openai-chat 503; on [server-error] retry both', async () => {
    const retries = (on: string[]) => ({ retries: { max: 2, on, backoff: { base: '10ms', cap: '10ms' } } });
    const anthropic = await overloaded('anthropic-messages', retries(['overloaded']));
    const openai = await overloaded('openai-chat', retries(['overloaded']));
    expect(anthropic.requests.gatewayRetries).toBeGreaterThan(10);
    expect(openai.requests.gatewayRetries).toBe(0);
    const both = await overloaded('openai-chat', retries(['server-error']));
    expect(both.requests.gatewayRetries).toBe(anthropic.requests.gatewayRetries);
  });

  it('a client retrying server errors retries an overload the gateway passes on', async () => {
    const r = await overloaded(
      'anthropic-messages',
      {},
      { retries: { max: 2, on: ['server-error'], backoff: { base: '10ms', cap: '10ms' } } },
    );
    expect(r.providers['p']!.statuses['overloaded']).toBeGreaterThan(10);
    expect(r.requests.clientRetries).toBeGreaterThan(10);
  });

  it('a client may not name overloaded (only the gateway reads dialects)', async () => {
    await expect(
      overloaded('anthropic-messages', {}, { retries: { max: 1, on: ['overloaded'] } }),
    ).rejects.toThrow(/on/);
  });
});
