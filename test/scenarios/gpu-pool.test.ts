/**
 * scenarios/gpu-pool.yaml: 9 x Llama-3.1-8B on H100 carry 60 req/s of tab and chat through a 2x
 * spike; two replicas fewer do not. Figures as the file's header documents them (seed 5), on
 * seeds 5, 1, 2 and 3: measured goodput 97.9-98.3%, tab p99 TTFT 381-411 ms, chat TPOT p50
 * 11.1-11.3 ms; with 7 replicas goodput 69-71% and none in the spike's worst 30 s. (Before issue
 * 16's block-level prefix cache: goodput ~97%, tab p99 461-495 ms, and 8 replicas failed.)
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
    // Documented: goodput ~98%, tab p99 TTFT ~0.4 s, chat TPOT p50 ~11.2 ms (tolerance +-2 points,
    // +-15%, +-10%).
    expect(r.requests.goodputShare).toBeGreaterThan(0.96);
    expect(r.requests.goodputShare).toBeLessThan(0.995);
    expect(r.classes['tab']!.latency.ttft.p99!).toBeGreaterThan(340);
    expect(r.classes['tab']!.latency.ttft.p99!).toBeLessThan(470);
    expect(r.classes['chat']!.latency.tpot.p50!).toBeGreaterThan(10.1);
    expect(r.classes['chat']!.latency.tpot.p50!).toBeLessThan(12.4);
    // The details block: tab requests hit the prefix cache; 9 replicas x $2.50/h ~ $3.80.
    const pool = r.providers['llama-8b']!;
    const details = pool.details as { replicas: number; prefixCacheHits: number; fleetCostUsd: number };
    expect(details.replicas).toBe(9);
    expect(details.prefixCacheHits / r.classes['tab']!.requests.offered).toBeGreaterThan(0.85);
    expect(details.fleetCostUsd).toBeCloseTo(3.8, 1);
  });

  it.each(SEEDS.slice(0, 2))(
    'seed %i: seven replicas lose the spike and fail the goodput and tab TTFT SLOs',
    async (seed) => {
      const r = await run(seed, [{ path: 'providers[0].replicas', value: 7 }]);
      // Documented: 0% goodput at the spike's peak, ~70% over the run (exit 3).
      expect(worst30s(r)).toBeLessThan(0.3);
      expect(r.requests.goodputShare).toBeGreaterThan(0.65);
      expect(r.requests.goodputShare).toBeLessThan(0.75);
      expect(r.slos.filter((s) => !s.pass).map((s) => s.metric)).toEqual(['ttft.p99', 'goodputShare']);
      expect(r.pass).toBe(false);
    },
  );
});
