/**
 * Arrival-rate profiles and their k6 stages. A profile is r(t) as points (tMs, rps), linear
 * between consecutive points; two points at the same time are a jump (a step, a burst edge).
 * `timelineProfile` samples the simulator's own RateTimeline (FG: one model): ramps, steps and
 * spikes are piecewise linear, so their corners become points and the stages follow them exactly;
 * products of ramps, diurnal waves and the like are split until linear interpolation is within
 * 0.5% of r(t). `toK6Stages` turns a profile into `ramping-arrival-rate` stages, whose targets
 * k6 wants as whole iterations per `timeUnit`.
 *
 * Example: 40/s with a x3 spike at 4m (ramp 10s, hold 90s, ramp 10s) over 12m gives the points
 * (0,40) (240000,40) (250000,120) (340000,120) (350000,40) (720000,40) and, with timeUnit 1m,
 * startRate 2400 and stages 240000ms->2400, 10000ms->7200, 90000ms->7200, 10000ms->2400, ...
 */
import { FloodgateError } from '../errors.ts';
import type { TimelineEntry } from '../scenario/schema.ts';
import type { RateTimeline } from '../workload/timeline/rate-timeline.ts';
import type { K6Stage } from './script-config.ts';

/** One point of a rate profile: `rps` requests per second at `tMs`. */
export interface RatePoint {
  tMs: number;
  rps: number;
}

/** Relative error allowed between r(t) and its linear interpolation. */
const REL_TOLERANCE = 0.005;
/** Segments are not split below this length (scenario ms). */
const MIN_SEGMENT_MS = 250;
/** A profile longer than this is refused (a k6 script with that many stages is unusable). */
const MAX_POINTS = 100_000;

/**
 * The profile of `timeline` x `factor` over [0, durationMs] (scenario time). `entries` are the
 * timeline's own entries: they give the corners (ramp ends, spike corners, burst edges, diurnal
 * peaks and troughs) where the function may jump or bend.
 */
export function timelineProfile(
  timeline: RateTimeline,
  entries: readonly TimelineEntry[],
  durationMs: number,
  factor = 1,
): RatePoint[] {
  const corners = cornerTimes(timeline, entries, durationMs);
  const rate = (t: number) => timeline.rateAt(t) * factor;
  const points: RatePoint[] = [{ tMs: 0, rps: rate(0) }];
  for (let i = 1; i < corners.length; i++) {
    const a = corners[i - 1]!;
    const b = corners[i]!;
    const left = leftLimit(rate, a, b);
    linearize(rate, a, points[points.length - 1]!.rps, b, left, points, 0);
    if (b >= durationMs) break;
    const right = rate(b);
    // Continuous at b (up to rounding): keep one point with the exact value; else a jump.
    if (Math.abs(right - left) <= 1e-9 * Math.max(1, Math.abs(right))) points[points.length - 1]!.rps = right;
    else points.push({ tMs: b, rps: right });
    if (points.length > MAX_POINTS)
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `the arrival timeline needs more than ${MAX_POINTS} k6 stages (bursts too short for the duration?)`,
      );
  }
  return points;
}

/** r(t) just before b, from inside (a, b): extrapolated from two samples 1 and 2 us before b. */
function leftLimit(rate: (t: number) => number, a: number, b: number): number {
  const h = Math.min(1e-3, (b - a) / 4);
  return 2 * rate(b - h) - rate(b - 2 * h);
}

/** Appends points so that linear interpolation on [a, b] stays within tolerance of r(t). */
function linearize(
  rate: (t: number) => number,
  a: number,
  va: number,
  b: number,
  vb: number,
  out: RatePoint[],
  depth: number,
): void {
  if (b - a > MIN_SEGMENT_MS * 2 && depth < 24) {
    for (const f of [0.25, 0.5, 0.75]) {
      const t = a + (b - a) * f;
      const exact = rate(t);
      const linear = va + (vb - va) * f;
      if (Math.abs(exact - linear) > REL_TOLERANCE * Math.max(Math.abs(exact), Math.abs(linear), 1e-9)) {
        const mid = (a + b) / 2;
        const vm = rate(mid);
        linearize(rate, a, va, mid, vm, out, depth + 1);
        linearize(rate, mid, vm, b, vb, out, depth + 1);
        return;
      }
    }
  }
  out.push({ tMs: b, rps: vb });
}

/** Sorted distinct times in [0, durationMs] where r(t) may jump or bend. */
function cornerTimes(
  timeline: RateTimeline,
  entries: readonly TimelineEntry[],
  durationMs: number,
): number[] {
  const times = new Set<number>([0, durationMs, ...timeline.base.times]);
  for (const e of entries) {
    if ('spike' in e) {
      const s = e.spike;
      times
        .add(s.at)
        .add(s.at + s.rampUp)
        .add(s.at + s.rampUp + s.hold);
      times.add(s.at + s.rampUp + s.hold + s.rampDown);
    } else if ('diurnal' in e) {
      const d = e.diurnal;
      const half = d.period / 2;
      for (let t = d.peakAt - Math.ceil(d.peakAt / half) * half; t <= durationMs; t += half) times.add(t);
    } else if ('bursts' in e) {
      const b = e.bursts;
      const end = Math.min(b.end ?? durationMs, durationMs);
      const period = b.on + b.off;
      for (let t = b.start; t < end && times.size <= MAX_POINTS; t += period) times.add(t).add(t + b.on);
      times.add(end);
    }
  }
  return [...times].filter((t) => t >= 0 && t <= durationMs).sort((x, y) => x - y);
}

/**
 * A profile of per-bin counts (a trace): `weights[i]` arrivals in [i x binMs, (i+1) x binMs),
 * held constant over the bin, so the integral over each bin is exactly its count.
 */
export function countsProfile(weights: readonly number[], binMs: number): RatePoint[] {
  const points: RatePoint[] = [];
  let last = Number.NaN;
  for (let i = 0; i < weights.length; i++) {
    const rps = (weights[i]! * 1000) / binMs;
    if (rps !== last) {
      if (i > 0) points.push({ tMs: i * binMs, rps: last });
      points.push({ tMs: i * binMs, rps });
      last = rps;
    }
  }
  points.push({ tMs: weights.length * binMs, rps: Number.isNaN(last) ? 0 : last });
  return points;
}

/** The profile played `timeScale` times as long at `rateScale` times the rate. */
export function scaleProfile(
  points: readonly RatePoint[],
  timeScale: number,
  rateScale: number,
): RatePoint[] {
  return points.map((p) => ({ tMs: p.tMs * timeScale, rps: p.rps * rateScale }));
}

/** Expected arrivals of a profile (its exact integral). */
export function profileIntegral(points: readonly RatePoint[]): number {
  let n = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    n += ((a.rps + b.rps) / 2) * ((b.tMs - a.tMs) / 1000);
  }
  return n;
}

/** The ramping-arrival-rate part of one k6 scenario. */
export interface StagePlan {
  startRate: number;
  timeUnit: string;
  timeUnitMs: number;
  stages: K6Stage[];
  /** The scenario's startTime: leading stretches of zero rate are skipped (ms). */
  startOffsetMs: number;
  /** Iterations these stages start (their integral). */
  expectedIterations: number;
  /** Highest rate of the profile (per second). */
  peakRps: number;
}

const TIME_UNITS: readonly [string, number][] = [
  ['1s', 1000],
  ['10s', 10_000],
  ['1m', 60_000],
  ['10m', 600_000],
  ['1h', 3_600_000],
];
/** Peak iterations per time unit we aim for, so rounding targets to integers costs < 0.05%. */
const TARGET_RESOLUTION = 1000;

/**
 * k6 stages for a profile in real time. Times round to whole ms, targets to whole iterations per
 * `timeUnit` (the smallest unit giving the peak at least 1000 per unit). Returns null when the
 * rate is zero throughout (the class sends nothing).
 */
export function toK6Stages(points: readonly RatePoint[]): StagePlan | null {
  const peakRps = points.reduce((m, p) => Math.max(m, p.rps), 0);
  if (!(peakRps > 0)) return null;
  const unit =
    TIME_UNITS.find(([, ms]) => (peakRps * ms) / 1000 >= TARGET_RESOLUTION) ??
    TIME_UNITS[TIME_UNITS.length - 1]!;
  const [timeUnit, timeUnitMs] = unit;
  let q = points.map((p) => ({
    t: Math.round(p.tMs),
    v: Math.max(0, Math.round((p.rps * timeUnitMs) / 1000)),
  }));
  // Skip the leading stretch at zero (the scenario starts later) and the trailing one.
  let first = 0;
  while (first + 1 < q.length && q[first]!.v === 0 && q[first + 1]!.v === 0) first++;
  let last = q.length - 1;
  while (last - 1 > first && q[last]!.v === 0 && q[last - 1]!.v === 0) last--;
  q = q.slice(first, last + 1);
  if (q.every((p) => p.v === 0)) return null;
  // Drop duplicates and points lying on the line through their neighbours (exact in integers).
  const kept = [q[0]!];
  for (let i = 1; i < q.length; i++) {
    const p = q[i]!;
    const prev = kept[kept.length - 1]!;
    const next = q[i + 1];
    if (p.t === prev.t && p.v === prev.v) continue;
    const collinear =
      next !== undefined &&
      p.t !== prev.t &&
      next.t !== p.t &&
      (p.v - prev.v) * (next.t - p.t) === (next.v - p.v) * (p.t - prev.t);
    if (!collinear) kept.push(p);
  }
  const start = kept[0]!;
  const stages: K6Stage[] = [];
  let expected = 0;
  for (let i = 1; i < kept.length; i++) {
    const a = kept[i - 1]!;
    const b = kept[i]!;
    stages.push({ duration: `${b.t - a.t}ms`, target: b.v });
    expected += ((a.v + b.v) / 2) * ((b.t - a.t) / timeUnitMs);
  }
  if (stages.length === 0) stages.push({ duration: '0ms', target: start.v });
  return {
    startRate: start.v,
    timeUnit,
    timeUnitMs,
    stages,
    startOffsetMs: start.t,
    expectedIterations: expected,
    peakRps,
  };
}

/** Parses a k6 duration this module writes (`1500ms`) or a simple one (`1s`, `2m`, `1h`) to ms. */
export function parseK6Duration(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a k6 duration: '${d}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/** Iterations started by `startRate` and `stages` (per `timeUnit`): the stages' integral. */
export function stagesIntegral(plan: {
  startRate: number;
  timeUnit: string;
  stages: readonly K6Stage[];
}): number {
  const unitMs = parseK6Duration(plan.timeUnit);
  let prev = plan.startRate;
  let n = 0;
  for (const s of plan.stages) {
    n += ((prev + s.target) / 2) * (parseK6Duration(s.duration) / unitMs);
    prev = s.target;
  }
  return n;
}
