/**
 * scenarios/dialect-failover.yaml: an Anthropic primary and an OpenAI fallback. The primary's 529
 * overload storm fails over at once; its 429s wait for retry-after on the primary. The verdict
 * (which requests failed over) follows the primary's dialect: the same gateway in front of an
 * openai-chat primary sees the overload as a plain server error and fails nothing over.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/dialect-failover.yaml');
const SEEDS = [1, 2, 3];

async function run(seed: number, ...sets: string[]): Promise<RunResult> {
  return simulate(await loadScenarioFile(FILE, { overrides: sets.map(parseOverride) }), { seed });
}

/** Start times (s) of the windows with attempts at `provider`. */
function attemptWindows(r: RunResult, provider: string): number[] {
  const ts = r.timeseries;
  const attempts = ts.providers[provider]!.attempts;
  return ts.startMs.filter((_, i) => (attempts[i] ?? 0) > 0).map((ms) => ms / 1000);
}

describe('scenarios/dialect-failover.yaml', () => {
  it.each(SEEDS)(
    'seed %i: the 529s fail over, the 429s wait for retry-after on the primary',
    async (seed) => {
      const r = await run(seed);
      const anthropic = r.providers['anthropic']!;
      const openai = r.providers['openai']!;
      // Measured over seeds 1-3: 86-254 429s and 47-59 529s at the primary; as many attempts at
      // the fallback as 529s; 0-1.9% of requests end rate-limited (retries used up), no other error.
      expect(anthropic.statuses['rate_limited']).toBeGreaterThan(50);
      expect(anthropic.statuses['overloaded']).toBeGreaterThan(30);
      // Every attempt at the fallback follows one 529: none follows a 429.
      expect(openai.attempts).toBe(anthropic.statuses['overloaded']);
      expect(openai.statuses['ok']).toBe(openai.attempts);
      // ... and all of them fall in the overload window (2 min to 2 min 40 s), none in the 429 storm.
      const windows = attemptWindows(r, 'openai');
      expect(Math.min(...windows)).toBeGreaterThanOrEqual(115);
      expect(Math.max(...windows)).toBeLessThan(165);
      expect(r.requests.errorShare).toBe(r.requests.rateLimitedShare);
      expect(r.requests.errorShare).toBeLessThan(0.03);
    },
  );

  it('an openai-chat primary answers its overload as a plain 503 server error: nothing fails over', async () => {
    const r = await run(1, 'providers[0].api=openai-chat');
    expect(r.providers['anthropic']!.statuses['overloaded']).toBeGreaterThan(30);
    expect(r.providers['openai']!.attempts).toBe(0);
    // Measured: 14% of requests fail (the overload window's), against 0.6% with the dialect.
    expect(r.requests.errorShare).toBeGreaterThan(0.1);
    expect(r.pass).toBe(false);
  });

  it('failing over on 429s too sends the storm’s refusals to the dearer fallback', async () => {
    const r = await run(
      1,
      'gateway.retryThenFallback.fallbackOn=[overloaded, rate-limited]',
      'gateway.retries.on=[]',
    );
    const anthropic = r.providers['anthropic']!;
    expect(r.providers['openai']!.attempts).toBe(
      anthropic.statuses['overloaded']! + anthropic.statuses['rate_limited']!,
    );
    expect(anthropic.statuses['rate_limited']).toBeGreaterThan(0);
  });
});
