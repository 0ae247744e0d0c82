/**
 * scenarios/outage-failover.yaml: the primary hosted provider is down for 3 minutes. Failing over
 * to the secondary hosted account only drains its quota and spreads 429s, even to a class that
 * never used the primary; rate-limit-aware routing with a fallback chain to the GPU pool holds.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/outage-failover.yaml');
const SEEDS = [1, 2, 3];
const NAIVE = [
  'gateway.routing={policy: random, params: {weights: {primary: 4, secondary: 1}}}',
  'gateway.fallbacks={primary: [secondary]}',
];

async function run(seed: number, ...sets: string[]): Promise<RunResult> {
  return simulate(await loadScenarioFile(FILE, { overrides: sets.map(parseOverride) }), { seed });
}

describe('scenarios/outage-failover.yaml', () => {
  it.each(SEEDS)(
    'seed %i: naive failover spreads 429s from the secondary; rate-limit-aware with a GPU-pool fallback holds',
    async (seed) => {
      const naive = await run(seed, ...NAIVE);
      const aware = await run(seed);
      expect(aware.classes['chat']!.requests.offered).toBe(naive.classes['chat']!.requests.offered);

      // Measured over seeds 1-5: naive 3.5-4.3% of requests rate-limited, 13-24% of review's
      // (pinned to the secondary, it never used the primary), errors 12-13%, goodput 86-88%;
      // rate-limit-aware: no 429 and no error, goodput 99.3-99.9%.
      expect(naive.requests.rateLimitedShare).toBeGreaterThan(0.02);
      expect(naive.classes['review']!.requests.rateLimitedShare).toBeGreaterThan(0.08);
      expect(naive.requests.errorShare).toBeGreaterThan(0.08);
      expect(naive.requests.goodputShare).toBeLessThan(0.92);
      expect(naive.providers['secondary']!.statuses['rate_limited']).toBeGreaterThan(100);
      expect(aware.requests.rateLimitedShare).toBe(0);
      expect(aware.providers['secondary']!.statuses['rate_limited'] ?? 0).toBe(0);
      expect(aware.requests.errorShare).toBeLessThan(0.005);
      expect(aware.requests.goodputShare).toBeGreaterThan(0.98);
      expect(aware.classes['review']!.requests.goodputShare).toBeGreaterThan(0.98);
      expect(naive.pass).toBe(false);
      expect(aware.pass).toBe(true);

      // The cascade verdict: the naive gateway is back only when the primary is (worst 30 s
      // window 56-65%); the protected one never dips below 98%.
      const n = naive.recovery!.triggers[0]!;
      const a = aware.recovery!.triggers[0]!;
      expect(a.verdict).toBe('stable');
      expect(a.worst!.goodputShare!).toBeGreaterThan(0.95);
      expect(n.verdict).not.toBe('stable');
      expect(n.worst!.goodputShare!).toBeLessThan(0.8);
    },
  );
});
