/**
 * The work a validated scenario implies, estimated before anything runs: expected arrivals (the
 * rate timeline integrated over the run, sessions times their calls), simulation events, time-series
 * points and class x provider pairs. A run past a limit is refused with the estimate and the way to
 * ask for it anyway, so a stray exponent (`7.2e12/s`, `1e20s`) is an error, not a hang or an
 * out-of-memory crash.
 *
 * The estimates are upper-bound-ish, not exact: the timeline is integrated at its maximum over
 * each step, and every request is counted with all its retries. Trace arrivals count once the
 * traces are read (`traces`); before that they count as none.
 */
import { createDistribution } from '../engine/dist/index.ts';
import { ScenarioInvalidError } from '../errors.ts';
import { autoInterval } from '../metrics/timeseries.ts';
import { RateTimeline } from '../workload/timeline/rate-timeline.ts';
import type { Trace } from '../workload/trace.ts';
import type { ArrivalsConfig, Scenario } from './schema.ts';
import { formatDuration } from './units.ts';

export interface WorkLimits {
  /** Requests offered over the run (session calls included). */
  arrivals: number;
  /** Simulation events (about ten per attempt, retries included, plus periodic ticks). */
  events: number;
  /** Time-series values kept: windows x series. */
  points: number;
  /** Request classes x gateway targets (each pair keeps routing state). */
  pairs: number;
}

/**
 * Defaults: well above every bundled scenario (the largest, cursor-day, is ~2.4e7 arrivals and
 * ~5e8 events at worst-case retries) and well below what a laptop can hold or finish: a run at
 * the arrivals limit takes hours, and 5e6 points take ~125 MB while the run lasts.
 */
export const DEFAULT_WORK_LIMITS: Readonly<WorkLimits> = {
  arrivals: 1e9,
  events: 2e10,
  points: 5e6,
  pairs: 1e5,
};

export const WORK_LIMIT_NAMES = Object.keys(DEFAULT_WORK_LIMITS) as (keyof WorkLimits)[];

export interface WorkEstimate {
  arrivals: number;
  /** Highest total arrival rate (per second) over the run, for the message. */
  peakRate: number;
  events: number;
  windows: number;
  /** Time-series window (ms), `auto` resolved. */
  intervalMs: number;
  series: number;
  points: number;
  pairs: number;
}

/** Events one attempt costs: arrival, admission, routing, start, first token, end, timers, records. */
const EVENTS_PER_ATTEMPT = 10;
/** Integration steps over the run (each at least 1 s): bounded work for any duration. */
const MAX_STEPS = 20_000;

/** Estimates the work of a validated scenario (with its traces, keyed by `file`, once read). */
export function estimateWork(s: Scenario, traces?: ReadonlyMap<string, Trace>): WorkEstimate {
  const integrate = (a: ArrivalsConfig) => integrateSource(a, s.duration, traces);
  const shared = s.workload.classes.filter((c) => !c.arrivals);
  const sharedTotal = shared.reduce((a, c) => a + c.share, 0);
  const sharedStream = s.workload.arrivals ? integrate(s.workload.arrivals) : { count: 0, peak: 0 };
  let arrivals = 0;
  let peakRate = sharedStream.peak;
  let attempts = 0;
  // Quality: a weaker model needs up to its `sessionCalls` times the calls (or `giveUpAfter` times).
  const sessionFactor = s.quality
    ? Math.min(
        s.quality.sessions.giveUpAfter ?? Number.POSITIVE_INFINITY,
        Math.max(1, ...Object.values(s.quality.models).map((m) => m.sessionCalls)),
      )
    : 1;
  for (const c of s.workload.classes) {
    let offered: number;
    if (c.arrivals) {
      const own = integrate(c.arrivals);
      offered = own.count;
      peakRate += own.peak;
    } else offered = sharedTotal > 0 ? (sharedStream.count * c.share) / sharedTotal : 0;
    const calls = c.session ? Math.max(1, createDistribution(c.session.calls).mean) * sessionFactor : 1;
    const requests = offered * calls;
    arrivals += requests;
    const client = c.client ?? s.workload.client;
    const sessionRetries = c.session ? c.session.retries : 0;
    attempts +=
      requests * (1 + client.retries.max) * (1 + s.gateway.retries.max) * (1 + sessionRetries / calls);
  }
  const runMs = s.duration + s.drain;
  const intervalMs = s.metrics.interval === 'auto' ? autoInterval(runMs) : s.metrics.interval;
  const windows = Math.ceil(runMs / intervalMs);
  let ticks = windows;
  let targets = 0;
  for (const p of s.providers) {
    if (p.kind !== 'gpu') {
      targets += 1;
      continue;
    }
    targets += p.expose === 'replicas' ? p.replicas : 1;
    const scrape = p.scrapeInterval ?? (p.expose === 'replicas' ? 50 : 1000);
    ticks += (runMs / scrape) * (p.expose === 'replicas' ? p.replicas : 1);
  }
  const series = 12 + 6 * s.workload.classes.length + 5 * s.providers.length;
  return {
    arrivals,
    peakRate,
    events: attempts * EVENTS_PER_ATTEMPT + ticks,
    windows,
    intervalMs,
    series,
    points: windows * series,
    pairs: s.workload.classes.length * targets,
  };
}

/**
 * Throws `ScenarioInvalidError` when the estimate passes a limit (`limits` raises or lowers the
 * defaults), naming the estimate, what drives it and the flag that allows it.
 */
export function checkWork(
  s: Scenario,
  file: string,
  limits: Partial<WorkLimits> = {},
  traces?: ReadonlyMap<string, Trace>,
): WorkEstimate {
  const max = { ...DEFAULT_WORK_LIMITS, ...limits };
  const e = estimateWork(s, traces);
  const over = (name: keyof WorkLimits, what: string, fix: string) =>
    `this run implies about ${sci(e[name])} ${what}; the limit is ${sci(max[name])}: ${fix}, or pass --max ${name}=${sci(e[name] * 1.1)} to run it anyway`;
  const messages: string[] = [];
  const span = formatDuration(s.duration);
  if (!(e.arrivals <= max.arrivals))
    messages.push(
      over(
        'arrivals',
        `arrivals (${sci(e.peakRate)}/s at peak for ${span})`,
        'shorten duration, lower the rate',
      ),
    );
  else if (!(e.events <= max.events))
    messages.push(
      over(
        'events',
        `simulation events (${sci(e.arrivals)} arrivals with up to their retries, and periodic scrapes)`,
        'shorten duration, lower the rate, retries.max or raise scrapeInterval',
      ),
    );
  if (!(e.points <= max.points))
    messages.push(
      over(
        'points',
        `time-series points (${sci(e.windows)} windows of ${formatDuration(e.intervalMs)}${s.metrics.interval === 'auto' ? ' (auto)' : ''} x ${e.series} series)`,
        s.metrics.interval === 'auto'
          ? 'set a longer metrics.interval or use fewer classes and providers'
          : 'raise metrics.interval (or leave it auto)',
      ),
    );
  if (!(e.pairs <= max.pairs))
    messages.push(
      over(
        'pairs',
        `class x target pairs (${s.workload.classes.length} classes x ${e.pairs / s.workload.classes.length} targets)`,
        'use fewer classes or targets',
      ),
    );
  if (messages.length > 0)
    throw new ScenarioInvalidError(messages.map((message) => ({ file, path: '', message })));
  return e;
}

/** Expected arrivals of one source over [0, durationMs] (an upper bound) and its peak rate. */
function integrateSource(
  a: ArrivalsConfig,
  durationMs: number,
  traces: ReadonlyMap<string, Trace> | undefined,
): { count: number; peak: number } {
  if (a.trace) {
    const trace = traces?.get(a.trace.file);
    const count = trace ? traceArrivals(trace, a.trace, durationMs) : 0;
    return { count, peak: count / (durationMs / 1000) };
  }
  const timeline = new RateTimeline(a.rate ?? 0, a.timeline);
  if (timeline.isConstant) {
    // No shape to follow: the integral at once (stepping it cost ~50 ms on a long run's start).
    const rate = timeline.rateAt(0);
    return { count: (rate * durationMs) / 1000 + 1, peak: rate };
  }
  const step = Math.max(1000, durationMs / MAX_STEPS);
  let count = 0;
  let peak = 0;
  for (let t = 0; t < durationMs; t += step) {
    const end = Math.min(t + step, durationMs);
    const r = timeline.maxOver(t, end);
    count += (r * (end - t)) / 1000;
    if (r > peak) peak = r;
  }
  // A renewal source's first arrival comes at once, whatever the rate.
  return { count: count + 1, peak };
}

/** Records a trace replays before `durationMs`, as TraceArrivals plays them (loops included). */
function traceArrivals(trace: Trace, t: NonNullable<ArrivalsConfig['trace']>, durationMs: number): number {
  const times = trace.timesMs;
  let first = 0;
  while (first < times.length && times[first]! < t.start) first++;
  const n = times.length - first;
  if (n === 0) return 0;
  let count: number;
  if (t.loop) {
    const span = times[times.length - 1]! - times[first]!;
    const passMs = (span + (n > 1 ? span / (n - 1) : 1000)) / t.speed;
    count = n * (durationMs / passMs + 1);
  } else {
    count = 0;
    for (let i = first; i < times.length && (times[i]! - t.start) / t.speed < durationMs; i++) count++;
  }
  return count * t.rateScale;
}

/** 2.6e13, 1e9, 120. */
function sci(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) < 1e4) return String(Math.round(x * 10) / 10);
  const [m, e] = x.toExponential(1).split('e');
  return `${m!.replace(/\.0$/, '')}e${Number(e)}`;
}
