/**
 * scenarios/gpu-pool.yaml: 9 x Llama-3.1-8B on H100 carry 60 req/s of tab and chat through a 2x
 * spike; one replica fewer does not. Figures as the file's header documents them (seed 5), on
 * seeds 5, 1, 2 and 3: measured goodput 96.5-97.1%, tab p99 TTFT 461-495 ms, chat TPOT p50
 * 11.5-11.7 ms; with 8 replicas goodput 86.6-87.9% and ~50% in the spike's worst 30 s.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import type { Override } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/gpu-pool.yaml');
const SEEDS = [5, 1, 2, 3];

async function run(seed: number, overrides: Override[] = []) {
  return simulate(await loadScenarioFile(FILE, { overrides }), { seed });
}

/** Goodput over offered in the worst 30 s of the run's time series. */
function worst30s(r: Awaited<ReturnType<typeof run>>): number {
  const ts = r.timeseries;
  const per = 30_000 / ts.intervalMs;
  let worst = 1;
  for (let i = 0; i + per <= ts.startMs.length; i += per) {
    let offered = 0;
    let good = 0;
    for (let j = i; j < i + per; j++) {
      offered += ts.offered[j]!;
      good += ts.goodput[j]!;
    }
    if (offered > 0) worst = Math.min(worst, good / offered);
  }
  return worst;
}

describe('scenarios/gpu-pool.yaml', () => {
  it.each(SEEDS)('seed %i: nine replicas pass all 3 SLOs through the 2x spike', async (seed) => {
    const r = await run(seed);
    expect(r.slos.map((s) => [s.name, s.pass])).toEqual(r.slos.map((s) => [s.name, true]));
    expect(r.pass).toBe(true);
    // Documented: goodput ~97%, tab p99 TTFT ~0.47 s, chat TPOT p50 ~11.5 ms (tolerance +-2 points,
    // +-15%, +-10%).
    expect(r.requests.goodputShare).toBeGreaterThan(0.95);
    expect(r.requests.goodputShare).toBeLessThan(0.99);
    expect(r.classes['tab']!.latency.ttft.p99!).toBeGreaterThan(400);
    expect(r.classes['tab']!.latency.ttft.p99!).toBeLessThan(550);
    expect(r.classes['chat']!.latency.tpot.p50!).toBeGreaterThan(10.4);
    expect(r.classes['chat']!.latency.tpot.p50!).toBeLessThan(12.7);
    // The details block: ~90% of tab requests hit the prefix cache; 9 replicas x $2.50/h ~ $3.80.
    const pool = r.providers['llama-8b']!;
    const details = pool.details as { replicas: number; prefixCacheHits: number; fleetCostUsd: number };
    expect(details.replicas).toBe(9);
    expect(details.prefixCacheHits / r.classes['tab']!.requests.offered).toBeGreaterThan(0.85);
    expect(details.fleetCostUsd).toBeCloseTo(3.8, 1);
  });

  it.each(SEEDS.slice(0, 2))(
    'seed %i: eight replicas lose the spike and fail the goodput SLO',
    async (seed) => {
      const r = await run(seed, [{ path: 'providers[0].replicas', value: 8 }]);
      // Documented: ~50% goodput at the spike's peak, ~88% over the run (exit 3).
      expect(worst30s(r)).toBeLessThan(0.6);
      expect(r.requests.goodputShare).toBeGreaterThan(0.84);
      expect(r.requests.goodputShare).toBeLessThan(0.9);
      expect(r.slos.filter((s) => !s.pass).map((s) => s.metric)).toEqual(['goodputShare']);
      expect(r.pass).toBe(false);
    },
  );
});
