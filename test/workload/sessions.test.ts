/**
 * Agent sessions: a closed loop inside an open loop.
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

describe('agent sessions', () => {
  it("take calls x service + (calls - 1) x think time, and obey Little's law for sessions in progress", async () => {
    const r = await simulate(
      await loadScenarioObject({
        name: 'sessions',
        duration: '30m',
        warmup: '1m',
        metrics: { interval: '5s' },
        providers: [{ name: 'q', kind: 'queue', servers: 1000, service: '200ms' }],
        workload: {
          classes: [
            {
              name: 'agent',
              arrivals: { rate: '2/s' },
              promptTokens: 1000,
              outputTokens: 100,
              session: { calls: 5, thinkTime: '1s', toolTokens: 300 },
            },
          ],
        },
      }),
    );
    const s = r.sessions!;
    // Deterministic: 5 x 200 ms + 4 x 1 s = 5 s per session.
    expect(s.duration.min).toBeCloseTo(5000, 3);
    expect(s.duration.max).toBeCloseTo(5000, 3);
    expect(s.callsPerSession).toBe(5);
    expect(s.completed + s.aborted + s.unfinished).toBe(s.started);
    // Prompts grow: 1000, 1400, 1800, 2200, 2600 tokens.
    expect(s.inputTokensPerSession).toBe(1000 + 1400 + 1800 + 2200 + 2600);
    // Little's law: L = lambda W = 2/s x 5 s = 10 sessions in progress on average.
    const series = r.timeseries.sessionsInProgress.slice(24, 360) as number[];
    const mean = series.reduce((a, b) => a + b, 0) / series.length;
    expect(Math.abs(mean - 10)).toBeLessThan(0.6);
  });

  it('self-throttle when the provider slows down while open-loop tab traffic piles up', async () => {
    const scenario = (latency: number) => ({
      name: 'slowdown',
      duration: '10m',
      providers: [{ name: 'q', kind: 'queue', servers: 40, service: { dist: 'exponential', mean: '400ms' } }],
      faults: latency > 1 ? [{ provider: 'q', kind: 'brownout', at: '0s', for: '10m', latency }] : [],
      workload: {
        classes: [
          { name: 'tab', arrivals: { rate: '20/s' } },
          { name: 'agent', arrivals: { rate: '2/s' }, session: { calls: 20, thinkTime: '500ms' } },
        ],
      },
    });
    const normal = await simulate(await loadScenarioObject(scenario(1)));
    const slow = await simulate(await loadScenarioObject(scenario(4)));
    // Open loop: the same tab requests arrive, and they wait far longer.
    expect(slow.classes['tab']!.requests.offered).toBe(normal.classes['tab']!.requests.offered);
    expect(slow.classes['tab']!.latency.e2e.p99!).toBeGreaterThan(
      3 * normal.classes['tab']!.latency.e2e.p99!,
    );
    // Closed loop: the agents send fewer calls per second.
    expect(slow.classes['agent']!.requests.offered).toBeLessThan(
      0.7 * normal.classes['agent']!.requests.offered,
    );
  });
});
