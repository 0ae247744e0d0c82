/**
 * Arrival processes: counts and gaps measured against their definitions. Statistical bounds are
 * 4-5 standard deviations of the estimator, so a correct generator fails them with probability
 * well below 1e-4 (and the seeds are fixed: a run is reproducible).
 */
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../src/engine/rng.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { type ArrivalSource, createArrivalSource } from '../../src/workload/arrivals.ts';
import { RateTimeline } from '../../src/workload/timeline/rate-timeline.ts';
import { run } from '../providers/harness.ts';

type ArrivalsInput = NonNullable<ScenarioInput['workload']['arrivals']>;

/** The validated arrivals section of a one-class scenario. */
function arrivalsConfig(arrivals: ArrivalsInput) {
  return validateScenario({
    name: 'arrivals',
    duration: '1h',
    providers: [{ name: 'p', kind: 'queue', servers: 1, service: '1ms' }],
    workload: { arrivals, classes: [{ name: 'c' }] },
  }).workload.arrivals!;
}

function source(arrivals: ArrivalsInput, seed = 1, horizonMs = 3_600_000): ArrivalSource {
  return createArrivalSource(arrivalsConfig(arrivals), new RngStreams(seed).get('arrivals'), horizonMs);
}

/** Arrival times before `untilMs`. */
function times(s: ArrivalSource, untilMs: number): number[] {
  const out: number[] = [];
  for (let t = s.next(); t < untilMs; t = s.next()) out.push(t);
  return out;
}

function gapStats(ts: readonly number[]) {
  const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
  const mean = gaps.reduce((a, g) => a + g, 0) / gaps.length;
  const variance = gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / (gaps.length - 1);
  return { n: gaps.length, mean, cv: Math.sqrt(variance) / mean };
}

describe('poisson arrivals', () => {
  it('produce about rate x duration arrivals (within 4 sd of a Poisson count)', () => {
    for (const seed of [1, 2, 3]) {
      const n = times(source({ rate: '50/s' }, seed), 200_000).length;
      expect(Math.abs(n - 10_000)).toBeLessThan(4 * Math.sqrt(10_000));
    }
  });

  it('space arrivals with exponential gaps: mean 1/rate and coefficient of variation 1', () => {
    const s = gapStats(times(source({ rate: '100/s' }, 4), 200_000));
    // n ~ 20 000 gaps: the mean's relative sd is 1/sqrt(n) = 0.7%, the cv's about 1.6%.
    expect(s.mean).toBeGreaterThan(10 * (1 - 4 / Math.sqrt(s.n)));
    expect(s.mean).toBeLessThan(10 * (1 + 4 / Math.sqrt(s.n)));
    expect(Math.abs(s.cv - 1)).toBeLessThan(0.07);
  });

  it('produce nothing at rate 0', () => {
    expect(source({ rate: 0 }).next()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('uniform arrivals', () => {
  it('space arrivals exactly 1/rate apart from time 0, as k6 arrival-rate executors do', () => {
    expect(times(source({ process: 'uniform', rate: '10/s' }), 1000)).toEqual([
      0, 100, 200, 300, 400, 500, 600, 700, 800, 900,
    ]);
    const ts = times(source({ process: 'uniform', rate: '7.2/s' }), 60_000);
    expect(ts).toHaveLength(432);
    ts.forEach((t, i) => {
      expect(t).toBeCloseTo((i * 1000) / 7.2, 6);
    });
  });

  it('start at the first moment the rate becomes positive', () => {
    const ts = times(
      source({ process: 'uniform', rate: 0, timeline: [{ step: { at: '5s', rate: '4/s' } }] }),
      6000,
    );
    expect(ts).toEqual([5000, 5250, 5500, 5750]);
  });

  it('follow a step-up at once when the step falls on an arrival', () => {
    const ts = times(
      source({ process: 'uniform', rate: '10/s', timeline: [{ step: { at: '2s', rate: '50/s' } }] }),
      3000,
    );
    expect(ts.filter((t) => t < 2000)).toHaveLength(20);
    expect(ts.filter((t) => t >= 2000)).toHaveLength(50);
  });

  // Regression test; the bug it caught, now fixed (src/workload/arrivals.ts RenewalArrivals.next): the gap after an arrival is 1/r(t) at
  // that arrival, so a rate that starts at 0 (or very low) and rises freezes the process: a ramp
  // from 0 to 100/s over 60 s gives arrivals at 1 ms and then 600 s later (1/r(1 ms)), instead
  // of ~3000 in the first minute. The same lag makes a step from 0.1/s to 100/s at 5 s produce
  // nothing until 10 s. The gaps should come from the integral of r(t) (as k6 stages do).
  it('follow a ramp that starts from zero (about the integral of r(t) in the first minute)', () => {
    const timeline = new RateTimeline(
      0,
      arrivalsConfig({ rate: 0, timeline: [{ ramp: { over: '60s', to: '100/s' } }] }).timeline,
    );
    const n = times(
      source({ process: 'uniform', rate: 0, timeline: [{ ramp: { over: '60s', to: '100/s' } }] }),
      60_000,
    ).length;
    expect(Math.abs(n - timeline.expectedCount(0, 60_000))).toBeLessThan(2);
  });

  it('switch to a higher step rate at the step, not one old gap later', () => {
    const ts = times(
      source({ process: 'uniform', rate: '0.1/s', timeline: [{ step: { at: '5s', rate: '100/s' } }] }),
      10_000,
    );
    expect(ts.filter((t) => t >= 5000)).toHaveLength(500);
  });
});

describe('gamma arrivals', () => {
  for (const cv of [0.5, 2]) {
    it(`have inter-arrival gaps with mean 1/rate and the configured cv (${cv})`, () => {
      const s = gapStats(times(source({ process: 'gamma', rate: '100/s', cv }, 9), 200_000));
      // Mean: relative sd cv/sqrt(n). Sample cv (delta method, gamma excess kurtosis 6 cv^2):
      // relative variance about (2 + 6 cv^2) / (4 n) from the sd plus cv^2 / n from the mean.
      expect(Math.abs(s.mean / 10 - 1)).toBeLessThan((4.5 * cv) / Math.sqrt(s.n));
      const cvSd = Math.sqrt((2 + 6 * cv * cv) / (4 * s.n) + (cv * cv) / s.n);
      expect(Math.abs(s.cv / cv - 1)).toBeLessThan(4.5 * cvSd);
    });
  }
});

/**
 * Runs a one-class scenario whose timeline is given and compares each 1 s window's offered count
 * with the timeline's expected count: a chi-square over all windows (k windows: mean k, sd
 * sqrt(2k)) and every window within 5 Poisson sd.
 */
async function offeredFollowsTimeline(arrivals: ArrivalsInput, durationS: number) {
  const input: ScenarioInput = {
    name: 'timeline',
    duration: `${durationS}s`,
    drain: 0,
    providers: [{ name: 'p', kind: 'queue', servers: 10_000, service: '1ms' }],
    workload: { arrivals, classes: [{ name: 'c' }] },
    metrics: { interval: '1s' },
  };
  const cfg = arrivalsConfig(arrivals);
  const r = new RateTimeline(cfg.rate ?? 0, cfg.timeline);
  const result = await run(input, 5);
  let chi2 = 0;
  let k = 0;
  let total = 0;
  for (let w = 0; w < durationS; w++) {
    const expected = r.expectedCount(w * 1000, (w + 1) * 1000, 10);
    const observed = result.timeseries.offered[w] ?? 0;
    total += expected;
    if (expected === 0) {
      expect(observed).toBe(0);
      continue;
    }
    expect(Math.abs(observed - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1);
    chi2 += (observed - expected) ** 2 / expected;
    k++;
  }
  expect(chi2).toBeLessThan(k + 4 * Math.sqrt(2 * k));
  expect(Math.abs(result.requests.offered - total)).toBeLessThan(4 * Math.sqrt(total));
  return { result, rate: r };
}

describe('poisson arrivals over a rate timeline follow r(t) window by window', () => {
  it('through a spike (ramp up, hold, ramp down)', async () => {
    const { result } = await offeredFollowsTimeline(
      {
        rate: '20/s',
        timeline: [{ spike: { at: '20s', multiplier: '4x', rampUp: '5s', hold: '10s', rampDown: '5s' } }],
      },
      60,
    );
    // The hold alone: 10 s at 80/s.
    const hold = result.timeseries.offered.slice(25, 35).reduce<number>((a, v) => a + (v ?? 0), 0);
    expect(Math.abs(hold - 800)).toBeLessThan(4 * Math.sqrt(800));
  });

  it('through a ramp', async () => {
    await offeredFollowsTimeline(
      { rate: '10/s', timeline: [{ ramp: { at: '10s', over: '30s', to: '60/s' } }] },
      60,
    );
  });

  it('through steps up and down', async () => {
    const { result } = await offeredFollowsTimeline(
      {
        rate: '10/s',
        timeline: [{ step: { at: '20s', rate: '50/s' } }, { step: { at: '40s', rate: '5/s' } }],
      },
      60,
    );
    const steady = result.timeseries.offered.slice(20, 40).reduce<number>((a, v) => a + (v ?? 0), 0);
    expect(Math.abs(steady - 1000)).toBeLessThan(4 * Math.sqrt(1000));
  });

  it('through a diurnal wave', async () => {
    await offeredFollowsTimeline(
      { rate: '30/s', timeline: [{ diurnal: { period: '60s', amplitude: 0.8, peakAt: '15s' } }] },
      120,
    );
  });

  it('through on/off bursts', async () => {
    const { result } = await offeredFollowsTimeline(
      {
        rate: '10/s',
        timeline: [{ bursts: { on: '5s', off: '10s', multiplier: '5x', start: '10s', end: '70s' } }],
      },
      90,
    );
    // On phases [10,15) [25,30) [40,45) [55,60): 20 s at 50/s.
    const on = [10, 25, 40, 55]
      .flatMap((s) => result.timeseries.offered.slice(s, s + 5))
      .reduce<number>((a, v) => a + (v ?? 0), 0);
    expect(Math.abs(on - 1000)).toBeLessThan(4 * Math.sqrt(1000));
  });

  it('and uniform arrivals follow a ramp to within one arrival per window', async () => {
    const arrivals: ArrivalsInput = {
      process: 'uniform',
      rate: '10/s',
      timeline: [{ ramp: { at: '10s', over: '30s', to: '60/s' } }],
    };
    const cfg = arrivalsConfig(arrivals);
    const r = new RateTimeline(cfg.rate ?? 0, cfg.timeline);
    const result = await run({
      name: 'uniform-ramp',
      duration: '60s',
      drain: 0,
      providers: [{ name: 'p', kind: 'queue', servers: 10_000, service: '1ms' }],
      workload: { arrivals, classes: [{ name: 'c' }] },
      metrics: { interval: '1s' },
    });
    for (let w = 0; w < 60; w++) {
      expect(
        Math.abs((result.timeseries.offered[w] ?? 0) - r.expectedCount(w * 1000, (w + 1) * 1000, 10)),
      ).toBeLessThan(1.5);
    }
  });
});
