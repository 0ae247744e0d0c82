/**
 * scenarios/cursor-day.yaml at its peak: the day's busiest ten minutes (the diurnal peak moved
 * into a 10-minute run) with the scenario's fleet, and with a fleet too small for the peak.
 * The whole day runs in `npm run bench` (about 24M requests).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import type { Override } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/cursor-day.yaml');
const PEAK: Override[] = [
  { path: 'duration', value: '10m' },
  { path: 'warmup', value: '2m' },
  { path: 'metrics.interval', value: '1m' },
  ...['tab', 'chat', 'agent'].map((c) => ({
    path: `workload.classes[${c}].arrivals.timeline[0].diurnal.peakAt`,
    value: '5m',
  })),
];

async function peak(replicas?: number) {
  const overrides = replicas ? [...PEAK, { path: 'providers[tab-pool].replicas', value: replicas }] : PEAK;
  return simulate(await loadScenarioFile(FILE, { overrides }));
}

describe('a Cursor-scale day at its peak', () => {
  it('holds every SLO with the scenario fleet, the fleet near capacity and the overflow nearly idle', async () => {
    const r = await peak();
    expect(r.slos.map((s) => [s.name, s.pass])).toEqual(r.slos.map((s) => [s.name, true]));
    // ~300 tab requests/s at the peak: the scale the scenario claims (24M a day at 1.6x peak).
    expect(r.classes['tab']!.requests.offered / 480).toBeGreaterThan(300); // 8 measured minutes
    expect(r.classes['tab']!.requests.goodputShare).toBeGreaterThan(0.43);
    expect(r.providers['tab-pool']!.utilization).toBeGreaterThan(0.85);
    expect(r.providers['tab-overflow']!.attempts).toBeLessThan(0.01 * r.providers['tab-pool']!.attempts);
    // Agent sessions stick to one frontier deployment (cheapest first), so its prompt cache serves
    // most of their input.
    expect(
      r.providers['frontier-a']!.cachedInputTokens / r.providers['frontier-a']!.inputTokens,
    ).toBeGreaterThan(0.5);
    // Sessions last minutes: some are still running when this short run ends; none fail.
    expect(r.sessions!.aborted).toBe(0);
    expect(r.sessions!.completed / r.sessions!.started).toBeGreaterThan(0.8);
  });

  it('a fleet of 18 replicas loses tab completions to the next keystroke at peak', async () => {
    const r = await peak(18);
    const tab = r.classes['tab']!.requests;
    expect(tab.goodputShare).toBeLessThan(0.35);
    expect(tab.cancelledShare).toBeGreaterThan(0.6);
    expect(r.slos.find((s) => s.class === 'tab' && s.metric === 'goodputShare')!.pass).toBe(false);
  });
});
