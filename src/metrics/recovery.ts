/**
 * The cascade verdict: did the run come back after each trigger (a spike, a fault)?
 *
 * Judged from the result's time series in windows of `recovery.window`. A window is healthy when
 * the judged classes' goodput is at least `goodput` of what they offered in it (or of their
 * pre-trigger share), attempts per offered request stay within `amplification`, and no provider
 * has a mean queue of `saturation` times its capacity. For each trigger, the windows from its
 * start to the horizon (the next trigger, or the end of arrivals) give the verdict:
 *
 * - stable: every window healthy, the trigger did not dent the run;
 * - recovered: healthy for good from a point within `within` of the trigger's end;
 * - late: healthy for good, but only after `within`;
 * - metastable: never healthy for good although the trigger was gone (Bronson et al., HotOS'21:
 *   the sustaining effect, not the trigger, keeps the system down);
 * - inconclusive: not healthy yet and less than `within` of run left to tell.
 *
 * "For good" means every later window up to the horizon is healthy, so a run that flickers back
 * for one window and falls again has not recovered. Goodput is filed under each request's arrival
 * window, so a window's share is exactly the part of its arrivals that was served well.
 */

import { roundTo } from '../engine/histogram.ts';
import type { RecoveryConfig, Scenario, TriggerConfig } from '../scenario/schema.ts';
import { scenarioTriggers } from '../scenario/triggers.ts';
import type { TimeSeriesBlock } from './result-types.ts';

export type TriggerVerdictKind = 'stable' | 'recovered' | 'late' | 'metastable' | 'inconclusive';

/** One evaluation window: its figures and whether it met every criterion. */
export interface RecoveryWindow {
  startMs: number;
  endMs: number;
  offered: number;
  /** Judged classes' goodput over their offered requests (null when nothing was offered). */
  goodputShare: number | null;
  /** Attempts per offered request, over all classes (null when nothing was offered). */
  amplification: number | null;
  /** Providers whose mean queue reached `saturation` x capacity. */
  saturated: string[];
  healthy: boolean;
  /** Which side of the trigger's end the window lies. */
  phase: 'during' | 'after';
}

export interface TriggerVerdict {
  name: string;
  startMs: number;
  endMs: number;
  /** Where judging stops: the next trigger's start, or the end of arrivals. */
  horizonMs: number;
  verdict: TriggerVerdictKind;
  /** From the trigger's end to the start of the first window of the healthy run to the horizon. */
  recoveredAfterMs: number | null;
  pass: boolean;
  /** Goodput share and amplification over the windows before the trigger (null if none). */
  baseline: { goodputShare: number | null; amplification: number | null; healthy: boolean } | null;
  /** The goodput share a healthy window needs (relativeTo baseline: scaled by the baseline). */
  goodputNeeded: number;
  /** The window with the lowest goodput share. */
  worst: RecoveryWindow | null;
  /** One sentence with the evidence, for people. */
  reason: string;
  windows: RecoveryWindow[];
}

export interface RecoveryResult {
  /** The worst verdict over the triggers. */
  verdict: TriggerVerdictKind;
  pass: boolean;
  criteria: {
    goodput: number;
    relativeTo: 'offered' | 'baseline';
    withinMs: number;
    amplification: number | null;
    saturation: number | null;
    windowMs: number;
    classes: string[] | null;
  };
  triggers: TriggerVerdict[];
}

const SEVERITY: Record<TriggerVerdictKind, number> = {
  stable: 0,
  recovered: 1,
  inconclusive: 2,
  late: 3,
  metastable: 4,
};

/** The trigger windows a scenario declares, or finds in its spikes and faults (merged when they overlap). */
export function triggerWindows(scenario: Scenario, config: RecoveryConfig): Required<TriggerConfig>[] {
  const raw: Required<TriggerConfig>[] =
    config.triggers === 'auto'
      ? autoTriggers(scenario)
      : config.triggers.map((t, i) => ({ name: t.name ?? `trigger ${i + 1}`, at: t.at, for: t.for }));
  raw.sort((a, b) => a.at - b.at);
  const merged: Required<TriggerConfig>[] = [];
  for (const t of raw) {
    const last = merged[merged.length - 1];
    if (last && t.at <= last.at + last.for) {
      last.for = Math.max(last.for, t.at + t.for - last.at);
      last.name = `${last.name} + ${t.name}`;
    } else merged.push({ ...t });
  }
  return merged;
}

/** Spikes and faults (bursts are ordinary traffic, not triggers) that start while arrivals run. */
function autoTriggers(scenario: Scenario): Required<TriggerConfig>[] {
  return (
    scenarioTriggers(scenario)
      // A fault or spike after the last arrival (in the drain) has no traffic to judge.
      .filter((t) => t.kind !== 'burst' && t.startMs < scenario.duration)
      .map((t) => ({ name: t.label, at: t.startMs, for: t.endMs - t.startMs }))
  );
}

interface SeriesView {
  intervalMs: number;
  windows: number;
  offered: (i: number) => number;
  goodput: (i: number) => number;
  allOffered: (i: number) => number;
  attempts: (i: number) => number;
  queued: { name: string; capacity: number; at: (i: number) => number }[];
}

function view(
  ts: TimeSeriesBlock,
  classes: string[] | undefined,
  capacities: Record<string, number>,
): SeriesView {
  const v = (a: (number | null)[] | undefined, i: number) => a?.[i] ?? 0;
  // Goodput by arrival window over offered by arrival window: the share of each window's arrivals
  // served within their targets, free of the lag between a request's arrival and its end.
  const picked = (classes ?? Object.keys(ts.classes)).map((c) => ts.classes[c]!);
  return {
    intervalMs: ts.intervalMs,
    windows: ts.startMs.length,
    offered: (i) => picked.reduce((a, c) => a + v(c.offered, i), 0),
    goodput: (i) => picked.reduce((a, c) => a + v(c.goodputByArrival, i), 0),
    allOffered: (i) => v(ts.offered, i),
    attempts: (i) => v(ts.attempts, i),
    queued: Object.entries(ts.providers).map(([name, p]) => ({
      name,
      capacity: capacities[name] ?? 1,
      at: (i: number) => v(p.queued, i),
    })),
  };
}

interface Sums {
  offered: number;
  goodput: number;
  allOffered: number;
  attempts: number;
  saturated: string[];
}

/** Sums of series windows [from, to) (indices). */
function sums(s: SeriesView, from: number, to: number, saturation: number | undefined): Sums {
  let offered = 0;
  let goodput = 0;
  let allOffered = 0;
  let attempts = 0;
  for (let i = from; i < to; i++) {
    offered += s.offered(i);
    goodput += s.goodput(i);
    allOffered += s.allOffered(i);
    attempts += s.attempts(i);
  }
  const saturated: string[] = [];
  if (saturation !== undefined && to > from) {
    for (const p of s.queued) {
      let q = 0;
      for (let i = from; i < to; i++) q += p.at(i);
      if (q / (to - from) >= saturation * p.capacity) saturated.push(p.name);
    }
  }
  return { offered, goodput, allOffered, attempts, saturated };
}

export function evaluateRecovery(
  scenario: Scenario,
  ts: TimeSeriesBlock,
  capacities: Record<string, number>,
): RecoveryResult | undefined {
  const config = scenario.recovery;
  if (!config) return undefined;
  const s = view(ts, config.classes, capacities);
  const step = Math.max(1, Math.round(config.window / s.intervalMs));
  const triggers = triggerWindows(scenario, config);
  // Arrivals stop at the duration: windows past it judge the drain, not the system.
  const lastIndex = Math.min(s.windows, Math.floor(scenario.duration / s.intervalMs));
  const firstIndex = Math.ceil(scenario.warmup / s.intervalMs);
  // `relativeTo: baseline` scales by the normal share, the one before the first trigger: a later
  // trigger's "before" may be the aftermath of an earlier one.
  const firstStart = Math.floor((triggers[0]?.at ?? 0) / s.intervalMs);
  const normal = firstStart > firstIndex ? sums(s, firstIndex, firstStart, undefined) : null;
  const normalShare = normal && normal.offered > 0 ? normal.goodput / normal.offered : null;
  const verdicts = triggers.map((t, k) => {
    // The baseline: from the warmup, or from `within` after the previous trigger ended.
    const previousEnd = k > 0 ? triggers[k - 1]!.at + triggers[k - 1]!.for + config.within : scenario.warmup;
    const horizon = Math.min(scenario.duration, triggers[k + 1]?.at ?? scenario.duration);
    return judge(s, config, t, {
      baselineFrom: Math.max(firstIndex, Math.ceil(previousEnd / s.intervalMs)),
      horizonIndex: Math.min(lastIndex, Math.floor(horizon / s.intervalMs)),
      horizonMs: horizon,
      endOfArrivals: horizon >= scenario.duration,
      step,
      normalShare,
    });
  });
  const worst = verdicts.reduce<TriggerVerdictKind>(
    (w, v) => (SEVERITY[v.verdict] > SEVERITY[w] ? v.verdict : w),
    'stable',
  );
  return {
    verdict: worst,
    pass: verdicts.every((v) => v.pass),
    criteria: {
      goodput: config.goodput,
      relativeTo: config.relativeTo,
      withinMs: config.within,
      amplification: config.amplification ?? null,
      saturation: config.saturation ?? null,
      windowMs: step * s.intervalMs,
      classes: config.classes ?? null,
    },
    triggers: verdicts,
  };
}

interface Bounds {
  baselineFrom: number;
  horizonIndex: number;
  horizonMs: number;
  /** The horizon is the end of arrivals (not the next trigger). */
  endOfArrivals: boolean;
  step: number;
  /** Goodput share before the first trigger (for `relativeTo: baseline`). */
  normalShare: number | null;
}

function judge(s: SeriesView, c: RecoveryConfig, t: Required<TriggerConfig>, b: Bounds): TriggerVerdict {
  const I = s.intervalMs;
  const endMs = t.at + t.for;
  const startIndex = Math.floor(t.at / I);
  const endIndex = Math.min(b.horizonIndex, Math.ceil(endMs / I));

  const before = startIndex > b.baselineFrom ? sums(s, b.baselineFrom, startIndex, c.saturation) : null;
  const baselineShare = before && before.offered > 0 ? before.goodput / before.offered : null;
  const noBaseline = c.relativeTo === 'baseline' && b.normalShare === null;
  const needed = c.relativeTo === 'baseline' ? c.goodput * (b.normalShare ?? 1) : c.goodput;
  const ampOf = (x: Sums) => (x.allOffered > 0 ? x.attempts / x.allOffered : null);
  const healthy = (x: Sums) => {
    const share = x.offered > 0 ? x.goodput / x.offered : null;
    const amp = ampOf(x);
    return (
      (share === null || share >= needed - 1e-12) &&
      (c.amplification === undefined || amp === null || amp <= c.amplification + 1e-12) &&
      x.saturated.length === 0
    );
  };

  // Windows during the trigger are aligned at its start, windows after it at the first series
  // window boundary at or after its end (recovery times count from that boundary).
  const windows: RecoveryWindow[] = [];
  const add = (from: number, to: number, phase: RecoveryWindow['phase']) => {
    for (let i = from; i < to; i += b.step) {
      const hi = Math.min(to, i + b.step);
      // The trigger is judged whole; a short last window before the horizon (less than half a
      // window, after another) is left out, too few arrivals to call.
      if (phase === 'after' && hi - i < b.step / 2 && i > from) break;
      const x = sums(s, i, hi, c.saturation);
      const amp = ampOf(x);
      windows.push({
        startMs: i * I,
        endMs: hi * I,
        offered: x.offered,
        goodputShare: x.offered > 0 ? roundTo(x.goodput / x.offered, 4) : null,
        amplification: amp === null ? null : roundTo(amp, 4),
        saturated: x.saturated,
        healthy: healthy(x),
        phase,
      });
    }
  };
  add(startIndex, endIndex, 'during');
  add(endIndex, b.horizonIndex, 'after');

  const after = windows.filter((w) => w.phase === 'after');
  let firstGood = after.length;
  while (firstGood > 0 && after[firstGood - 1]!.healthy) firstGood--;
  const recovered = after.length > 0 && firstGood < after.length;
  const afterStartMs = endIndex * I;
  const recoveredAfterMs = recovered ? after[firstGood]!.startMs - afterStartMs : null;
  const observedAfter = Math.max(0, b.horizonMs - afterStartMs);
  const judged = windows.some((w) => w.offered > 0);

  let verdict: TriggerVerdictKind;
  if (!judged || noBaseline) verdict = 'inconclusive';
  else if (windows.every((w) => w.healthy)) verdict = after.length > 0 ? 'stable' : 'inconclusive';
  else if (recovered && recoveredAfterMs! <= c.within) verdict = 'recovered';
  else if (recovered) verdict = 'late';
  else if (after.length === 0 || observedAfter < c.within) verdict = 'inconclusive';
  else verdict = 'metastable';

  const worst = windows.reduce<RecoveryWindow | null>(
    (w, x) => (x.goodputShare !== null && (w === null || x.goodputShare < w.goodputShare!) ? x : w),
    null,
  );
  const baseline = before
    ? {
        goodputShare: baselineShare === null ? null : roundTo(baselineShare, 4),
        amplification: ampOf(before) === null ? null : roundTo(ampOf(before)!, 4),
        healthy: healthy(before),
      }
    : null;
  const explained = { afterStartMs, endOfArrivals: b.endOfArrivals, judged, noBaseline };
  const result = {
    name: t.name,
    startMs: t.at,
    endMs,
    horizonMs: b.horizonMs,
    verdict,
    recoveredAfterMs,
    pass: verdict === 'stable' || verdict === 'recovered',
    baseline,
    goodputNeeded: roundTo(needed, 4),
    worst,
  };
  return { ...result, reason: explain(result, after, c, explained), windows };
}

const pct = (x: number | null) =>
  x === null ? 'n/a' : `${(x * 100).toFixed(x >= 0.995 || x < 0.1 ? 1 : 0)}%`;
const secs = (ms: number) => `${roundTo(ms / 1000, 1)} s`;
/** When a run was healthy again: "as soon as" rather than "0 s after" when that rounds to 0. */
const healthyAgain = (ms: number) =>
  roundTo(ms / 1000, 1) === 0 ? 'as soon as the trigger ended' : `${secs(ms)} after the trigger ended`;

function explain(
  v: Omit<TriggerVerdict, 'reason' | 'windows'>,
  after: RecoveryWindow[],
  c: RecoveryConfig,
  x: { afterStartMs: number; endOfArrivals: boolean; judged: boolean; noBaseline: boolean },
): string {
  const worst = v.worst
    ? `lowest goodput ${pct(v.worst.goodputShare)} at ${secs(v.worst.startMs)}`
    : 'no requests offered';
  const horizon = x.endOfArrivals ? 'the end of arrivals' : 'the next trigger';
  switch (v.verdict) {
    case 'stable':
      return `healthy throughout (${worst}, needs ${pct(v.goodputNeeded)})`;
    case 'recovered':
      return `healthy again ${healthyAgain(v.recoveredAfterMs!)} (${worst}; allowed ${secs(c.within)})`;
    case 'late':
      return `healthy again only ${secs(v.recoveredAfterMs!)} after the trigger ended (allowed ${secs(c.within)}; ${worst})`;
    case 'inconclusive':
      if (x.noBaseline)
        return 'no arrivals of the judged classes before the first trigger to take a baseline from';
      if (!x.judged) return 'the judged classes offered no requests around this trigger';
      if (after.length === 0) return `the trigger lasted until ${horizon}: nothing after it to judge`;
      return `not healthy by ${horizon}, ${secs(v.horizonMs - x.afterStartMs)} after the trigger (needs ${secs(c.within)} to judge)`;
    case 'metastable': {
      const last = after[after.length - 1]!;
      const evidence = `last window at ${secs(last.startMs)}: goodput ${pct(last.goodputShare)}${last.amplification !== null ? `, amplification ${last.amplification.toFixed(2)}x` : ''}${last.saturated.length > 0 ? `, saturated ${last.saturated.join(', ')}` : ''}`;
      return `still unhealthy ${secs(v.horizonMs - x.afterStartMs)} after the trigger ended; ${evidence}; needs goodput ${pct(v.goodputNeeded)}`;
    }
  }
}
