/**
 * scenarios/cursor-day.yaml at its peak: the day's busiest ten minutes, run exactly as the file's
 * header documents its short variant (the `--set`s of its `# Short:` command, read from the file),
 * with the scenario's fleet and with a fleet too small for the peak. The whole day runs in
 * `npm run bench` (about 24M requests).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { type Override, parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/cursor-day.yaml');

/** The `--set` values of the header's `# Short:` command (up to the next `# Try:`). */
function documentedShortVariant(): Override[] {
  const text = readFileSync(FILE, 'utf8');
  const command = /^# Short:([\s\S]*?)^# Try:/m.exec(text)?.[1] ?? '';
  return [...command.matchAll(/--set (?:'([^']+)'|(\S+))/g)].map((m) => parseOverride(m[1] ?? m[2]!));
}

const PEAK = documentedShortVariant();

async function peak(seed: number, replicas?: number) {
  const overrides = replicas ? [...PEAK, { path: 'providers[tab-pool].replicas', value: replicas }] : PEAK;
  return simulate(await loadScenarioFile(FILE, { overrides }), { seed });
}

describe('a Cursor-scale day at its peak', () => {
  it('documents a short variant that moves every class to its peak in a ten-minute run', () => {
    expect(PEAK.map((o) => o.path)).toEqual([
      'duration',
      'warmup',
      'workload.classes[tab].arrivals.timeline[0].diurnal.peakAt',
      'workload.classes[chat].arrivals.timeline[0].diurnal.peakAt',
      'workload.classes[agent].arrivals.timeline[0].diurnal.peakAt',
    ]);
  });

  it.each([5, 1])(
    'seed %i: holds every SLO with the scenario fleet; sessions split over both frontier deployments',
    async (seed) => {
      const r = await peak(seed);
      expect(r.slos.map((s) => [s.name, s.pass])).toEqual(r.slos.map((s) => [s.name, true]));
      // ~300 tab requests/s at the peak: the scale the scenario claims (24M a day at 1.6x peak).
      expect(r.classes['tab']!.requests.offered / 480).toBeGreaterThan(300); // 8 measured minutes
      expect(r.classes['tab']!.requests.goodputShare).toBeGreaterThan(0.43);
      expect(r.providers['tab-pool']!.utilization).toBeGreaterThan(0.85);
      // Tab's shared prefix keeps it on the pool; the fallback deployment takes < 1%.
      expect(r.providers['tab-overflow']!.attempts).toBeLessThan(0.01 * r.providers['tab-pool']!.attempts);
      // Prefix-affinity: each frontier deployment takes about half of the frontier calls (measured
      // 50.0%), and each session stays on one, so each prompt cache serves most of its input
      // (measured 81-82%).
      const a = r.providers['frontier-a']!;
      const b = r.providers['frontier-b']!;
      expect(a.attempts / (a.attempts + b.attempts)).toBeGreaterThan(0.4);
      expect(a.attempts / (a.attempts + b.attempts)).toBeLessThan(0.6);
      for (const p of [a, b]) expect(p.cachedInputTokens / p.inputTokens).toBeGreaterThan(0.7);
      // Sessions last minutes: some are still running when this short run ends; none fail.
      expect(r.sessions!.aborted).toBe(0);
      expect(r.sessions!.completed / r.sessions!.started).toBeGreaterThan(0.8);
    },
  );

  it('seed 5: a fleet of 18 replicas loses tab completions to the next keystroke at peak', async () => {
    const r = await peak(5, 18);
    const tab = r.classes['tab']!.requests;
    // Documented: tab goodput ~46% -> ~25%.
    expect(tab.goodputShare).toBeLessThan(0.35);
    expect(tab.cancelledShare).toBeGreaterThan(0.6);
    expect(r.slos.find((s) => s.class === 'tab' && s.metric === 'goodputShare')!.pass).toBe(false);
  });
});
