import { describe, expect, it } from 'vitest';
import {
  countsProfile,
  parseK6Duration,
  profileIntegral,
  scaleProfile,
  stagesIntegral,
  timelineProfile,
  toK6Stages,
} from '../../src/k6/stages.ts';
import type { TimelineEntry } from '../../src/scenario/schema.ts';
import { RateTimeline } from '../../src/workload/timeline/rate-timeline.ts';

const spike = (
  at: number,
  multiplier: number,
  rampUp: number,
  hold: number,
  rampDown: number,
): TimelineEntry => ({
  spike: { at, multiplier, rampUp, hold, rampDown },
});

describe('timelineProfile(timeline, entries, duration)', () => {
  it('follows a spike exactly: its four corners and nothing else', () => {
    const entries = [spike(240_000, 3, 10_000, 90_000, 10_000)];
    const points = timelineProfile(new RateTimeline(40, entries), entries, 720_000);
    expect(points).toEqual([
      { tMs: 0, rps: 40 },
      { tMs: 240_000, rps: 40 },
      { tMs: 250_000, rps: 120 },
      { tMs: 340_000, rps: 120 },
      { tMs: 350_000, rps: 40 },
      { tMs: 720_000, rps: 40 },
    ]);
  });

  it('turns a step into a jump (two points at the same time) and applies the factor', () => {
    const entries: TimelineEntry[] = [{ step: { at: 60_000, rate: 10 } }];
    const points = timelineProfile(new RateTimeline(0, entries), entries, 120_000, 0.5);
    expect(points).toEqual([
      { tMs: 0, rps: 0 },
      { tMs: 60_000, rps: 0 },
      { tMs: 60_000, rps: 5 },
      { tMs: 120_000, rps: 5 },
    ]);
  });

  it('integrates to RateTimeline.expectedCount within 0.5% for ramps under a spike, diurnal waves and bursts', () => {
    const entries: TimelineEntry[] = [
      { ramp: { at: 0, over: 600_000, to: 50, from: undefined } },
      spike(200_000, 4, 60_000, 60_000, 60_000),
      { diurnal: { period: 300_000, amplitude: 0.5, peakAt: 50_000 } },
      { bursts: { on: 5_000, off: 15_000, multiplier: 2, start: 30_000, end: 500_000 } },
    ];
    const timeline = new RateTimeline(5, entries);
    const points = timelineProfile(timeline, entries, 600_000);
    const exact = timeline.expectedCount(0, 600_000, 10);
    expect(Math.abs(profileIntegral(points) / exact - 1)).toBeLessThan(0.005);
    // Every breakpoint value is r(t) itself (right-continuous at jumps).
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const next = points[i + 1];
      if (next?.tMs === p.tMs) continue;
      expect(p.rps).toBeCloseTo(timeline.rateAt(Math.min(p.tMs, 600_000 - 1e-3)), 3);
    }
  });
});

describe('toK6Stages(points)', () => {
  it('picks a time unit giving the peak at least 1000 iterations per unit, and integer targets', () => {
    const unitFor = (rps: number) =>
      toK6Stages([
        { tMs: 0, rps },
        { tMs: 60_000, rps },
      ])!.timeUnit;
    expect([unitFor(2000), unitFor(40), unitFor(2), unitFor(0.5), unitFor(0.01)]).toEqual([
      '1s',
      '1m',
      '10m',
      '1h',
      '1h',
    ]);
    const plan = toK6Stages([
      { tMs: 0, rps: 1.234 },
      { tMs: 30_000, rps: 7.891 },
    ])!;
    expect(plan.startRate).toBe(Math.round(1.234 * 600));
    expect(plan.stages).toEqual([{ duration: '30000ms', target: Math.round(7.891 * 600) }]);
  });

  it('merges collinear points and starts after a leading stretch at zero', () => {
    const plan = toK6Stages([
      { tMs: 0, rps: 0 },
      { tMs: 30_000, rps: 0 },
      { tMs: 60_000, rps: 0 },
      { tMs: 60_000, rps: 20 },
      { tMs: 90_000, rps: 20 },
      { tMs: 120_000, rps: 20 },
      { tMs: 180_000, rps: 20 },
    ])!;
    expect(plan.startOffsetMs).toBe(60_000);
    expect(plan.startRate).toBe(0);
    expect(plan.stages).toEqual([
      { duration: '0ms', target: 1200 },
      { duration: '120000ms', target: 1200 },
    ]);
    expect(plan.expectedIterations).toBe(2400);
    expect(stagesIntegral(plan)).toBe(2400);
  });

  it('returns null when the rate is zero throughout', () => {
    expect(
      toK6Stages([
        { tMs: 0, rps: 0 },
        { tMs: 1000, rps: 0 },
      ]),
    ).toBeNull();
  });

  it('keeps the count of a scaled profile: time x f and rate x r give f x r times the arrivals', () => {
    const entries = [spike(60_000, 2, 0, 60_000, 0)];
    const points = timelineProfile(new RateTimeline(10, entries), entries, 300_000);
    const plan = toK6Stages(scaleProfile(points, 1 / 15, 0.1))!;
    expect(stagesIntegral(plan)).toBeCloseTo((profileIntegral(points) / 15) * 0.1, 0);
    const spanMs = plan.stages.reduce((a, s) => a + parseK6Duration(s.duration), 0);
    expect(spanMs).toBe(20_000);
  });
});

describe('countsProfile(weights, binMs)', () => {
  it('holds each bin at its count per bin, so each bin integrates to its count', () => {
    const points = countsProfile([3, 3, 0, 5], 1000);
    expect(points).toEqual([
      { tMs: 0, rps: 3 },
      { tMs: 2000, rps: 3 },
      { tMs: 2000, rps: 0 },
      { tMs: 3000, rps: 0 },
      { tMs: 3000, rps: 5 },
      { tMs: 4000, rps: 5 },
    ]);
    expect(profileIntegral(points)).toBe(11);
  });
});
