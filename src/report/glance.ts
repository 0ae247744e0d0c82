/**
 * The scenario at a glance, as data for the report: the planned arrival rate per class (the same
 * `RateTimeline` the simulator draws arrivals from, sampled; nothing is simulated), the fault
 * windows per provider, and the bands (faults, spikes, warmup, drain) the time charts shade.
 */
import type { ArrivalsConfig, FaultConfig, Scenario } from '../scenario/schema.ts';
import { scenarioTriggers } from '../scenario/triggers.ts';
import { RateTimeline } from '../workload/timeline/rate-timeline.ts';
import { fmtDuration, fmtPct, plural, sig } from './format.ts';
import type { Band, GlanceChart, Series } from './model.ts';
import { colorAt } from './palette.ts';

/** What a fault does, in a few words: 'latency x3, 10% errors'. */
export function faultDetail(f: FaultConfig): string {
  switch (f.kind) {
    case 'outage':
      return 'every attempt fails fast (503)';
    case 'brownout':
      return `latency x${sig(f.latency, 3)}${f.errorRate > 0 ? `, ${fmtPct(f.errorRate)} errors` : ', no errors'}`;
    case 'rate-limit-storm':
      return `rate limits cut to ${fmtPct(f.limitFactor)}`;
    case 'hang':
      return 'attempts never answer (until their timeout)';
    case 'stream-cut':
      return `streams cut after ${plural(f.afterTokens, 'token')} (${fmtPct(f.probability)} of them)`;
    case 'capacity-loss':
      return `${fmtPct(f.fraction)} of capacity lost`;
    case 'spot-reclaim':
      return `${plural(f.replicas, 'replica')} reclaimed after ${fmtDuration(f.notice)} notice`;
    case 'metrics-outage':
      return "the autoscaler's metric source fails (every read errors)";
  }
}

/** Shaded stretches of the time axis: warmup, spikes and bursts, faults, and the drain. */
export function bandsOf(s: Scenario, endMs: number): Band[] {
  const bands: Band[] = [];
  if (s.warmup > 0) bands.push({ kind: 'warmup', label: 'warmup', startMs: 0, endMs: s.warmup });
  for (const t of scenarioTriggers(s))
    bands.push({
      kind: t.kind,
      label: t.kind === 'fault' ? `${t.label} ${fmtDuration(t.endMs - t.startMs)}` : t.label,
      startMs: t.startMs,
      endMs: t.endMs,
    });
  if (endMs > s.duration) bands.push({ kind: 'drain', label: 'drain', startMs: s.duration, endMs });
  return bands;
}

/** The arrival configs per class: its own, or its share of the shared stream. */
function classArrivals(s: Scenario): { name: string; arrivals: ArrivalsConfig | undefined; scale: number }[] {
  const shared = s.workload.classes.filter((c) => !c.arrivals);
  const total = shared.reduce((a, c) => a + c.share, 0);
  return s.workload.classes.map((c) =>
    c.arrivals
      ? { name: c.name, arrivals: c.arrivals, scale: 1 }
      : { name: c.name, arrivals: s.workload.arrivals, scale: total > 0 ? c.share / total : 0 },
  );
}

/** Sample times: a regular grid plus every corner of the timeline, so spikes keep their shape. */
function sampleTimes(s: Scenario, samples: number): number[] {
  const ts = new Set<number>();
  for (let i = 0; i <= samples; i++) ts.add(Math.round((s.duration * i) / samples));
  const corner = (t: number) => {
    if (t > 0 && t < s.duration) {
      ts.add(t);
      ts.add(Math.max(0, t - 1));
    }
  };
  const timelines = [s.workload.arrivals, ...s.workload.classes.map((c) => c.arrivals)];
  for (const a of timelines)
    for (const e of a?.timeline ?? []) {
      if ('spike' in e) {
        const { at, rampUp, hold, rampDown } = e.spike;
        for (const t of [at, at + rampUp, at + rampUp + hold, at + rampUp + hold + rampDown]) corner(t);
      } else if ('step' in e) corner(e.step.at);
      else if ('ramp' in e) {
        corner(e.ramp.at);
        corner(e.ramp.at + e.ramp.over);
      }
    }
  for (const t of scenarioTriggers(s)) if (t.kind === 'burst') [t.startMs, t.endMs].forEach(corner);
  return [...ts].sort((a, b) => a - b);
}

/**
 * The glance chart: the planned rate per class (stacked), or, when arrivals replay a trace, the
 * observed offered rate per class if the caller has it (`observed`), and the fault lanes.
 */
export function glanceChart(
  s: Scenario,
  observed?: { tMs: number[]; series: Series[] },
  samples = 600,
): GlanceChart {
  const perClass = classArrivals(s);
  let rate: GlanceChart['rate'] = null;
  if (perClass.every((c) => c.arrivals && !c.arrivals.trace)) {
    const tMs = sampleTimes(s, samples);
    rate = {
      tMs,
      observed: false,
      series: perClass.map((c, i) => {
        const timeline = new RateTimeline(c.arrivals!.rate ?? 0, c.arrivals!.timeline);
        return {
          key: c.name,
          label: c.name,
          color: colorAt(i),
          values: tMs.map((t) => sig(timeline.rateAt(t) * c.scale, 4)),
        };
      }),
    };
  } else if (observed) rate = { ...observed, observed: true };
  const faults = scenarioTriggers(s).filter((t) => t.kind === 'fault');
  const lanes = s.providers
    .map((p) => ({
      provider: p.name,
      faults: faults
        .filter((t) => t.provider === p.name)
        .map((t) => ({
          label: t.fault!,
          detail: `${t.label} at ${fmtDuration(t.startMs)} for ${fmtDuration(t.endMs - t.startMs)}: ${faultDetail(t.config!)}`,
          startMs: t.startMs,
          endMs: t.endMs,
        })),
    }))
    .filter((l) => l.faults.length > 0);
  return {
    durationMs: s.duration,
    rate,
    lanes,
    bands: bandsOf(s, s.duration).filter((b) => b.kind !== 'fault' && b.kind !== 'drain'),
  };
}
