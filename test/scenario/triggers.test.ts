/**
 * One place derives the scenario's trigger windows (src/scenario/triggers.ts): the recovery
 * verdict, the sweep's figures (which read the verdict), the report's bands, fault lanes and
 * story all show the same windows under the same names.
 */
import { describe, expect, it } from 'vitest';
import { figuresOf } from '../../src/compare/job.ts';
import { triggerWindows } from '../../src/metrics/recovery.ts';
import { bandsOf, glanceChart } from '../../src/report/glance.ts';
import { runStory } from '../../src/report/story.ts';
import { loadScenarioObject, validateScenario } from '../../src/scenario/load.ts';
import { scenarioTriggers } from '../../src/scenario/triggers.ts';
import { simulate } from '../../src/simulator/simulate.ts';

async function load() {
  return loadScenarioObject({
    name: 'triggers',
    duration: '400s',
    providers: [{ name: 'p', kind: 'queue', servers: 50, service: '100ms' }],
    workload: {
      arrivals: {
        process: 'uniform',
        rate: '10/s',
        timeline: [{ spike: { at: '60s', multiplier: 3, rampUp: '5s', hold: '10s', rampDown: '5s' } }],
      },
      classes: [
        { name: 'a' },
        {
          name: 'b',
          arrivals: {
            process: 'uniform',
            rate: '2/s',
            timeline: [
              { spike: { at: '200s', multiplier: 2.5, rampUp: '0s', hold: '20s', rampDown: '0s' } },
              { bursts: { on: '5s', off: '45s', multiplier: 2, start: '300s', end: '400s' } },
            ],
          },
        },
      ],
    },
    faults: [
      { provider: 'p', kind: 'outage', at: '70s', for: '20s' },
      { provider: 'p', kind: 'brownout', at: '250s', for: '10s', latency: '2x' },
    ],
    recovery: { triggers: 'auto', within: '30s' },
    metrics: { interval: '1s' },
  });
}

describe('the scenario trigger windows', () => {
  it('lists every spike, burst phase and fault with one label each, in time order', async () => {
    const { scenario } = await load();
    expect(scenarioTriggers(scenario).map((t) => [t.kind, t.label, t.startMs, t.endMs])).toEqual([
      ['spike', '3x spike', 60_000, 80_000],
      ['fault', 'p outage', 70_000, 90_000],
      ['spike', 'b 2.5x spike', 200_000, 220_000],
      ['fault', 'p brownout', 250_000, 260_000],
      ['burst', 'b 2x burst', 300_000, 305_000],
      ['burst', 'b 2x burst', 350_000, 355_000],
    ]);
  });

  it('are the windows the recovery verdict judges (overlaps merged, bursts left out) and the sweep reads', async () => {
    const loaded = await load();
    const s = loaded.scenario;
    expect(triggerWindows(s, s.recovery!)).toEqual([
      { name: '3x spike + p outage', at: 60_000, for: 30_000 },
      { name: 'b 2.5x spike', at: 200_000, for: 20_000 },
      { name: 'p brownout', at: 250_000, for: 10_000 },
    ]);
    const r = await simulate(loaded);
    expect(r.recovery!.triggers.map((t) => [t.name, t.startMs, t.endMs])).toEqual([
      ['3x spike + p outage', 60_000, 90_000],
      ['b 2.5x spike', 200_000, 220_000],
      ['p brownout', 250_000, 260_000],
    ]);
    // The sweep classifies a run by this verdict and settles on its first trigger's windows.
    const figures = figuresOf(r).recovery!;
    expect(figures.verdict).toBe(r.recovery!.verdict);
    const after = r.recovery!.triggers[0]!.windows.filter((w) => w.phase === 'after');
    expect(figures.endGoodputShare).toBe(after[after.length - 1]!.goodputShare);
  });

  it('are the windows and names the report shades, draws in the fault lanes and tells in its story', async () => {
    const loaded = await load();
    const s = loaded.scenario;
    const triggers = scenarioTriggers(s);
    const bands = bandsOf(s, s.duration).filter((b) => b.kind !== 'warmup' && b.kind !== 'drain');
    expect(bands.map((b) => [b.kind, b.startMs, b.endMs])).toEqual(
      triggers.map((t) => [t.kind, t.startMs, t.endMs]),
    );
    // A fault's band also says how long it lasts.
    bands.forEach((b, i) => {
      expect(b.label.startsWith(triggers[i]!.label)).toBe(true);
    });
    const lanes = glanceChart(s).lanes;
    expect(
      lanes.flatMap((l) => l.faults.map((f) => [`${l.provider} ${f.label}`, f.startMs, f.endMs])),
    ).toEqual(triggers.filter((t) => t.kind === 'fault').map((t) => [t.label, t.startMs, t.endMs]));
    const story = runStory(await simulate(loaded), s);
    expect(story).toContain('The 3x spike at 1m');
    expect(story).toContain('The b 2.5x spike at 3m20s');
  });
});

describe('recovery with triggers: auto', () => {
  it('needs a spike or a fault: bursts are ordinary traffic, not triggers', () => {
    const input = (faults: { provider: string; kind: 'outage'; at: string; for: string }[]) => ({
      name: 'bursts-only',
      duration: '100s',
      providers: [{ name: 'p', kind: 'queue' as const, servers: 1, service: '10ms' }],
      workload: {
        arrivals: { rate: '1/s', timeline: [{ bursts: { on: '5s', off: '5s', multiplier: 2 } }] },
        classes: [{ name: 'c' }],
      },
      faults,
      recovery: { triggers: 'auto' as const },
    });
    expect(() => validateScenario(input([]))).toThrow(/no spikes or faults/);
    expect(() =>
      validateScenario(input([{ provider: 'p', kind: 'outage', at: '10s', for: '5s' }])),
    ).not.toThrow();
  });
});
