/**
 * Time-series windows at long intervals: every event lands in the window its time says. An
 * interval of 1 h once filed events by t x (1 / 3,600,000), which rounds just below k at many
 * boundaries and left whole windows empty.
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

describe('time-series windows', () => {
  it.each(['15m', '30m', '1h'])('counts every window at a %s interval', async (interval) => {
    const loaded = await loadScenarioObject({
      name: 'windows',
      duration: '6h',
      providers: [{ name: 'q', kind: 'queue', servers: 4, service: '100ms' }],
      workload: { arrivals: { process: 'uniform', rate: '1/s' }, classes: [{ name: 'c' }] },
      metrics: { interval },
    });
    const r = await simulate(loaded);
    const perWindow =
      loaded.scenario.metrics.interval === 'auto' ? 0 : loaded.scenario.metrics.interval / 1000;
    const windows = Math.round((6 * 3600) / perWindow);
    // Uniform arrivals at 1/s: each full window holds exactly interval / 1 s arrivals (±1 at its edges).
    for (const n of r.timeseries.offered.slice(0, windows))
      expect(Math.abs(n! - perWindow)).toBeLessThanOrEqual(1);
  });
});
