/**
 * The bundled thundering-herd scenario: LiteLLM's cooldown failing closed turns a 15 s outage of
 * every deployment into a self-sustaining cycle (all cool down, all return at once, the retry herd
 * trips them all again); routing to every deployment while all are cooling, or a client retry
 * budget, recovers at once, and staggering the cooldowns does not.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/thundering-herd.yaml');
const SEEDS = [1, 2, 3];

async function run(seed: number, ...sets: string[]): Promise<RunResult> {
  return simulate(await loadScenarioFile(FILE, { overrides: sets.map(parseOverride) }), { seed });
}

/**
 * From the outage's end to the end of arrivals (1 s series): seconds in which no attempt was made
 * at all (every deployment cooling down, every try refused), and the busiest second's attempts
 * over the mean offered per second.
 */
function herd(r: RunResult): { idleSeconds: number; peakOverOffered: number; afterGoodput: number } {
  const t = r.recovery!.triggers[0]!;
  const ts = r.timeseries;
  let idle = 0;
  let peak = 0;
  let offered = 0;
  let n = 0;
  for (let i = 0; i < ts.startMs.length; i++) {
    const start = ts.startMs[i]!;
    if (start < t.endMs || start >= r.durationMs) continue;
    const attempts = ts.attempts[i] ?? 0;
    if (attempts === 0) idle++;
    peak = Math.max(peak, attempts);
    offered += ts.offered[i] ?? 0;
    n++;
  }
  const after = t.windows.filter((w) => w.phase === 'after');
  const afterGoodput = after.reduce((a, w) => a + (w.goodputShare ?? 0), 0) / after.length;
  return { idleSeconds: idle, peakOverOffered: peak / (offered / n), afterGoodput };
}

describe('scenarios/thundering-herd.yaml', () => {
  it('fails closed into a metastable cooldown cycle; failing open or a client retry budget recovers; jitter alone does not', async () => {
    for (const seed of SEEDS) {
      const closed = await run(seed);
      const open = await run(seed, 'gateway.health.params.failOpen=true');
      const staggered = await run(seed, 'gateway.health.params.jitter=0.8');
      const budget = await run(seed, 'workload.client.retries.budget={kind: token-bucket}');
      expect(open.requests.offered).toBe(closed.requests.offered);

      // Measured on seeds 1-5: metastable, goodput 54-57%, 35-41% after the outage, 53-56 idle
      // seconds of 105, herds of 4.2-5x the offered rate.
      expect(closed.recovery!.verdict).toBe('metastable');
      expect(closed.pass).toBe(false);
      expect(closed.requests.goodputShare).toBeLessThan(0.65);
      const h = herd(closed);
      expect(h.afterGoodput).toBeLessThan(0.55);
      expect(h.idleSeconds).toBeGreaterThan(35);
      expect(h.peakOverOffered).toBeGreaterThan(3);

      // Measured: recovered 0-10 s after the outage, goodput ~92%, never a second without attempts.
      const t = open.recovery!.triggers[0]!;
      expect(t.verdict).toBe('recovered');
      expect(t.recoveredAfterMs!).toBeLessThanOrEqual(20_000);
      expect(open.pass).toBe(true);
      expect(open.requests.goodputShare).toBeGreaterThan(closed.requests.goodputShare + 0.25);
      expect(herd(open).idleSeconds).toBe(0);

      // Measured: recovered as the outage ends, goodput ~91%, busiest second 1.4x offered.
      const b = budget.recovery!.triggers[0]!;
      expect(b.verdict).toBe('recovered');
      expect(b.recoveredAfterMs!).toBeLessThanOrEqual(20_000);
      expect(budget.requests.goodputShare).toBeGreaterThan(closed.requests.goodputShare + 0.25);
      const hb = herd(budget);
      expect(hb.idleSeconds).toBe(0);
      expect(hb.peakOverOffered).toBeLessThan(2.5);

      // Measured: metastable, goodput ~55%: the first deployment back takes the whole herd.
      expect(staggered.recovery!.verdict).toBe('metastable');
      expect(staggered.requests.goodputShare).toBeLessThan(0.65);
    }
  });
});
