/**
 * The scenario at a glance, as data for the report: the planned arrival rate per class (the same
 * `RateTimeline` the simulator draws arrivals from, sampled; nothing is simulated), the fault
 * windows per provider, and the bands (faults, spikes, warmup, drain) the time charts shade.
 */
import type { ArrivalsConfig, FaultConfig, Scenario } from '../scenario/schema.ts';
import { RateTimeline } from '../workload/timeline/rate-timeline.ts';
import { fmtDuration, fmtPct, plural, sig } from './format.ts';
import type { Band, GlanceChart, Series } from './model.ts';
import { colorAt } from './palette.ts';

/** Something that happens to the run at a known time: a traffic spike or burst, or a fault. */
export interface Trigger {
  kind: 'spike' | 'burst' | 'fault';
  /** Plain words: '3x spike', 'fast-api outage'. */
  label: string;
  startMs: number;
  endMs: number;
  /** Spikes: the multiplier and the stretch held at full height. */
  multiplier?: number;
  peakStartMs?: number;
  peakEndMs?: number;
  /** Faults: the provider and the kind of fault. */
  provider?: string;
  fault?: FaultConfig['kind'];
}

/** Most burst on-phases shaded; beyond it bursts are described, not drawn one by one. */
const MAX_BURST_BANDS = 60;

/** Every spike, burst phase and fault of the scenario, in time order. */
export function triggersOf(s: Scenario): Trigger[] {
  const out: Trigger[] = [];
  const timelines = [s.workload.arrivals, ...s.workload.classes.map((c) => c.arrivals)];
  const seen = new Set<string>();
  for (const a of timelines) {
    for (const e of a?.timeline ?? []) {
      if ('spike' in e) {
        const sp = e.spike;
        const t: Trigger = {
          kind: 'spike',
          label: `${sig(sp.multiplier, 3)}x spike`,
          startMs: sp.at,
          endMs: sp.at + sp.rampUp + sp.hold + sp.rampDown,
          multiplier: sp.multiplier,
          peakStartMs: sp.at + sp.rampUp,
          peakEndMs: sp.at + sp.rampUp + sp.hold,
        };
        const key = `${t.startMs}:${t.endMs}:${t.label}`;
        if (!seen.has(key)) out.push(t);
        seen.add(key);
      } else if ('bursts' in e) {
        const b = e.bursts;
        const end = Math.min(b.end ?? s.duration, s.duration);
        const period = b.on + b.off;
        if ((end - b.start) / period > MAX_BURST_BANDS) continue;
        for (let t = b.start; t < end; t += period)
          out.push({
            kind: 'burst',
            label: `${sig(b.multiplier, 3)}x burst`,
            startMs: t,
            endMs: Math.min(t + b.on, end),
            multiplier: b.multiplier,
          });
      }
    }
  }
  for (const f of s.faults)
    out.push({
      kind: 'fault',
      label: `${f.provider} ${f.kind}`,
      startMs: f.at,
      endMs: f.at + f.for,
      provider: f.provider,
      fault: f.kind,
    });
  return out.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}

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
  }
}

/** Shaded stretches of the time axis: warmup, spikes and bursts, faults, and the drain. */
export function bandsOf(s: Scenario, endMs: number): Band[] {
  const bands: Band[] = [];
  if (s.warmup > 0) bands.push({ kind: 'warmup', label: 'warmup', startMs: 0, endMs: s.warmup });
  for (const t of triggersOf(s))
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
  for (const t of triggersOf(s)) if (t.kind === 'burst') [t.startMs, t.endMs].forEach(corner);
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
  const lanes = s.providers
    .map((p) => ({
      provider: p.name,
      faults: s.faults
        .filter((f) => f.provider === p.name)
        .map((f) => ({
          label: f.kind,
          detail: `${p.name} ${f.kind} at ${fmtDuration(f.at)} for ${fmtDuration(f.for)}: ${faultDetail(f)}`,
          startMs: f.at,
          endMs: f.at + f.for,
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
