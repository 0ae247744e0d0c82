/**
 * The cascade verdict on hand-made time series: each verdict, its recovery time to the window,
 * and the criteria (goodput, baseline-relative goodput, amplification, saturation, classes).
 */
import { describe, expect, it } from 'vitest';
import { evaluateRecovery, triggerWindows } from '../../src/metrics/recovery.ts';
import type { TimeSeriesBlock } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/schema.ts';

const SECONDS = 600;

async function scenario(
  recovery: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<Scenario> {
  const loaded = await loadScenarioObject({
    name: 'recovery',
    duration: `${SECONDS}s`,
    providers: [{ name: 'q', kind: 'queue', servers: 4, service: '1s' }],
    workload: {
      arrivals: { rate: '10/s' },
      classes: [
        { name: 'a', share: 0.5 },
        { name: 'b', share: 0.5 },
      ],
    },
    recovery: { triggers: [{ name: 'brownout', at: '100s', for: '30s' }], within: '60s', ...recovery },
    ...extra,
  });
  return loaded.scenario;
}

/** One-second windows: 10 offered per second, goodput from `good(t)`, attempts from `attempts(t)`. */
function series(opts: {
  good?: (t: number) => number;
  goodB?: (t: number) => number;
  attempts?: (t: number) => number;
  queued?: (t: number) => number;
}): TimeSeriesBlock {
  const n = SECONDS + 5;
  const col = (f: (t: number) => number) => Array.from({ length: n }, (_, t) => f(t));
  const goodA = col((t) => (opts.good ?? (() => 10))(t) / 2);
  const goodB = col((t) => (opts.goodB ?? opts.good ?? (() => 10))(t) / 2);
  const cls = (good: number[]) => ({
    offered: col(() => 5),
    completed: good,
    goodput: good,
    goodputByArrival: good,
    ttftP50: [],
    ttftP99: [],
    e2eP50: [],
    e2eP99: [],
  });
  return {
    intervalMs: 1000,
    startMs: col((t) => t * 1000),
    offered: col(() => 10),
    goodput: col((t) => goodA[t]! + goodB[t]!),
    attempts: col(opts.attempts ?? (() => 10)),
    classes: { a: cls(goodA), b: cls(goodB) },
    providers: { q: { attempts: [], errors: [], inService: [], queued: col(opts.queued ?? (() => 0)) } },
  } as unknown as TimeSeriesBlock;
}

const sum10 = (xs: (number | null)[]) =>
  Array.from({ length: Math.ceil(xs.length / 10) }, (_, i) =>
    xs.slice(10 * i, 10 * i + 10).reduce<number>((a, v) => a + (v ?? 0), 0),
  );

const dip =
  (from: number, to: number, low = 0) =>
  (t: number) =>
    t >= from && t < to ? low : 10;

describe('recovery verdict', () => {
  it('is stable when no window falls below the goodput share', async () => {
    const r = evaluateRecovery(await scenario({}), series({ good: dip(100, 130, 9.5) }), { q: 4 })!;
    expect(r.verdict).toBe('stable');
    expect(r.pass).toBe(true);
    expect(r.triggers[0]!.worst!.goodputShare).toBe(0.95);
  });

  it('recovered: names the first window of the healthy run after the trigger ends', async () => {
    // Trigger 100..130 s; goodput back at 150 s: the after-windows start at 130, 140, 150 s.
    const r = evaluateRecovery(await scenario({}), series({ good: dip(100, 150) }), { q: 4 })!;
    const t = r.triggers[0]!;
    expect(t.verdict).toBe('recovered');
    expect(t.recoveredAfterMs).toBe(20_000);
    expect(t.pass).toBe(true);
    expect(t.worst!.goodputShare).toBe(0);
    expect(t.baseline).toEqual({ goodputShare: 1, amplification: 1, healthy: true });
    expect(t.reason).toContain('20 s after the trigger ended');
    // During-windows are aligned at the trigger's start, after-windows at its end.
    expect(t.windows.filter((w) => w.phase === 'during').map((w) => w.startMs)).toEqual([
      100_000, 110_000, 120_000,
    ]);
    expect(t.windows.find((w) => w.phase === 'after')!.startMs).toBe(130_000);
  });

  it('recovered right at the end of the trigger reads "as soon as the trigger ended"', async () => {
    const r = evaluateRecovery(await scenario({}), series({ good: dip(100, 130) }), { q: 4 })!;
    const t = r.triggers[0]!;
    expect(t.recoveredAfterMs).toBe(0);
    expect(t.reason).toBe(
      'healthy again as soon as the trigger ended (lowest goodput 0.0% at 100 s; allowed 60 s)',
    );
  });

  it('late: healthy for good, but after the allowed time', async () => {
    const r = evaluateRecovery(await scenario({}), series({ good: dip(100, 230) }), { q: 4 })!;
    expect(r.triggers[0]!.verdict).toBe('late');
    expect(r.triggers[0]!.recoveredAfterMs).toBe(100_000);
    expect(r.pass).toBe(false);
  });

  it('metastable: the trigger ended but goodput never came back; a one-window flicker is not recovery', async () => {
    const flicker = (t: number) => (t >= 100 && !(t >= 300 && t < 310) ? 1 : 10);
    const r = evaluateRecovery(await scenario({}), series({ good: flicker }), { q: 4 })!;
    const t = r.triggers[0]!;
    expect(t.verdict).toBe('metastable');
    expect(t.recoveredAfterMs).toBeNull();
    expect(t.windows.some((w) => w.phase === 'after' && w.healthy)).toBe(true);
    expect(t.reason).toMatch(
      /still unhealthy 470 s after the trigger ended; last window at 590 s: goodput 10%/,
    );
    expect(r.verdict).toBe('metastable');
  });

  it('inconclusive when the run ends within `within` of the trigger', async () => {
    const s = await scenario({ triggers: [{ at: '560s', for: '10s' }] });
    const r = evaluateRecovery(s, series({ good: (t) => (t >= 560 ? 0 : 10) }), { q: 4 })!;
    expect(r.triggers[0]!.name).toBe('trigger 1');
    expect(r.triggers[0]!.verdict).toBe('inconclusive');
    expect(r.pass).toBe(false);
  });

  it('judges amplification and saturation after the trigger', async () => {
    const s = await scenario({ amplification: 1.5, saturation: '1x' });
    const retries = evaluateRecovery(s, series({ attempts: (t) => (t >= 100 ? 30 : 10) }), { q: 4 })!;
    expect(retries.verdict).toBe('metastable');
    expect(retries.triggers[0]!.reason).toContain('amplification 3.00x');
    const queue = evaluateRecovery(s, series({ queued: (t) => (t >= 100 && t < 180 ? 4 : 3) }), { q: 4 })!;
    expect(queue.triggers[0]!.verdict).toBe('recovered');
    expect(queue.triggers[0]!.recoveredAfterMs).toBe(50_000);
    expect(queue.triggers[0]!.windows[0]!.saturated).toEqual(['q']);
  });

  it('relativeTo baseline scales the goodput share by the pre-trigger share', async () => {
    // 60% goodput before (cancelled tab completions, say); 56% after is within 90% of it.
    const good = (t: number) => (t < 100 ? 6 : t < 130 ? 1 : 5.6);
    const absolute = evaluateRecovery(await scenario({}), series({ good }), { q: 4 })!;
    expect(absolute.triggers[0]!.verdict).toBe('metastable');
    const relative = evaluateRecovery(await scenario({ relativeTo: 'baseline' }), series({ good }), {
      q: 4,
    })!;
    expect(relative.triggers[0]!.goodputNeeded).toBe(0.54);
    expect(relative.triggers[0]!.verdict).toBe('recovered');
    expect(relative.triggers[0]!.recoveredAfterMs).toBe(0);
  });

  it('judges only the listed classes', async () => {
    const s = await scenario({ classes: ['a'] });
    const r = evaluateRecovery(s, series({ good: () => 10, goodB: dip(100, 600) }), { q: 4 })!;
    expect(r.verdict).toBe('stable');
  });

  it('finds spikes and faults itself and merges overlapping windows', async () => {
    const s = await scenario(
      { triggers: 'auto' },
      {
        workload: {
          arrivals: {
            rate: '10/s',
            timeline: [{ spike: { at: '100s', multiplier: 3, rampUp: '5s', hold: '20s', rampDown: '5s' } }],
          },
          classes: [{ name: 'a' }, { name: 'b' }],
        },
        faults: [
          { provider: 'q', kind: 'outage', at: '120s', for: '30s' },
          { provider: 'q', kind: 'hang', at: '300s', for: '10s' },
        ],
      },
    );
    expect(triggerWindows(s, s.recovery!)).toEqual([
      { name: '3x spike + q outage', at: 100_000, for: 50_000 },
      { name: 'q hang', at: 300_000, for: 10_000 },
    ]);
    // Two triggers: the first one's horizon is the second's start.
    const r = evaluateRecovery(s, series({ good: dip(100, 160) }), { q: 4 })!;
    expect(r.triggers.map((t) => [t.verdict, t.horizonMs])).toEqual([
      ['recovered', 300_000],
      ['stable', SECONDS * 1000],
    ]);
  });

  it('is inconclusive, not metastable, when the trigger lasts to the end of arrivals (even with within 0)', async () => {
    const s = await scenario({ triggers: [{ at: '590s', for: '30s' }], within: '0s' });
    const r = evaluateRecovery(s, series({ good: (t) => (t >= 590 ? 0 : 10) }), { q: 4 })!;
    expect(r.triggers[0]!.verdict).toBe('inconclusive');
    expect(r.triggers[0]!.reason).toBe(
      'the trigger lasted until the end of arrivals: nothing after it to judge',
    );
  });

  it('counts recovery from the first series boundary after the trigger ends', async () => {
    // 10 s series windows; the trigger ends at 135 s, the after-windows start at 140 s.
    const s = await scenario({ triggers: [{ at: '100s', for: '35s' }], within: '0s' });
    const ts = series({ good: dip(100, 135) });
    const tenSecond = {
      ...ts,
      intervalMs: 10_000,
      startMs: ts.startMs.filter((_, i) => i % 10 === 0),
      offered: sum10(ts.offered),
      attempts: sum10(ts.attempts),
      classes: Object.fromEntries(
        Object.entries(ts.classes).map(([k, c]) => [
          k,
          { ...c, offered: sum10(c.offered), goodputByArrival: sum10(c.goodputByArrival) },
        ]),
      ),
      providers: { q: { ...ts.providers['q']!, queued: sum10(ts.providers['q']!.queued) } },
    } as TimeSeriesBlock;
    const t = evaluateRecovery(s, tenSecond, { q: 4 })!.triggers[0]!;
    expect(t.verdict).toBe('recovered');
    expect(t.recoveredAfterMs).toBe(0);
  });

  it('scales by the share before the first trigger for every trigger (relativeTo baseline)', async () => {
    // Normal 60%; the first trigger leaves the run at 10%: the second trigger must not take 10%
    // as its baseline and call that stable.
    const s = await scenario({
      relativeTo: 'baseline',
      triggers: [
        { at: '100s', for: '30s' },
        { at: '400s', for: '30s' },
      ],
    });
    const r = evaluateRecovery(s, series({ good: (t) => (t < 100 ? 6 : 1) }), { q: 4 })!;
    expect(r.triggers.map((t) => [t.verdict, t.goodputNeeded])).toEqual([
      ['metastable', 0.54],
      ['metastable', 0.54],
    ]);
  });

  it('is inconclusive when the judged classes offered nothing', async () => {
    const s = await scenario({ classes: ['a'] });
    const ts = series({});
    ts.classes['a']!.offered = ts.classes['a']!.offered.map(() => 0);
    const r = evaluateRecovery(s, ts, { q: 4 })!;
    expect(r.verdict).toBe('inconclusive');
    expect(r.pass).toBe(false);
  });

  it('leaves out faults in the drain (after the last arrival) when finding triggers', async () => {
    const s = await scenario(
      { triggers: 'auto' },
      {
        faults: [
          { provider: 'q', kind: 'outage', at: '100s', for: '30s' },
          { provider: 'q', kind: 'outage', at: '605s', for: '10s' },
        ],
      },
    );
    expect(triggerWindows(s, s.recovery!).map((t) => t.at)).toEqual([100_000]);
  });

  it('rejects recovery blocks that cannot be judged, saying where', async () => {
    await expect(scenario({ triggers: 'auto' })).rejects.toThrow(/recovery\.triggers: expected triggers/);
    await expect(scenario({ classes: ['c'] })).rejects.toThrow(
      /recovery\.classes\[0\]: expected one of the classes 'a', 'b', got 'c'/,
    );
    await expect(scenario({ triggers: [{ at: '700s', for: '1s' }] })).rejects.toThrow(
      /recovery\.triggers\[0\]\.at/,
    );
  });
});
