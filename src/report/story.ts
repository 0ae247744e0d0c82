/**
 * The story of a run (or a comparison) in plain words, generated from the numbers: what each
 * spike and fault did, which class paid, whether and when goodput recovered, and the SLOs. Each
 * sentence comes from a figure in the result; nothing is re-simulated.
 *
 * Example: "The 3x spike at 4m (held 1m30s) lifted offered traffic from about 40/s to 120/s;
 * the gateway shed 98 requests. Goodput held through the spike."
 */
import type { CompareResult, EntryResult } from '../compare/compare.ts';
import { OBJECTIVES } from '../compare/compare.ts';
import type { RecoveryResult } from '../metrics/recovery.ts';
import type { RunResult } from '../metrics/result-types.ts';
import type { Scenario } from '../scenario/schema.ts';
import { scenarioTriggers, type Trigger } from '../scenario/triggers.ts';
import {
  fmtDuration,
  fmtElapsed,
  fmtInt,
  fmtMs,
  fmtPct,
  fmtRate,
  fmtUsd,
  fmtValue,
  plural,
  type Unit,
} from './format.ts';
import type { Num } from './model.ts';

/** Goodput counts as dipped below this share of its baseline ratio to offered traffic. */
const DIP = 0.9;

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const num = (v: Num | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 0 : v);

/** Windows [from, to) covering [startMs, endMs). */
function windowRange(intervalMs: number, n: number, startMs: number, endMs: number): [number, number] {
  return [
    Math.max(0, Math.min(n, Math.floor(startMs / intervalMs))),
    Math.max(0, Math.min(n, Math.ceil(endMs / intervalMs))),
  ];
}

function sumOver(xs: readonly Num[], [a, b]: [number, number]): number {
  let t = 0;
  for (let i = a; i < b; i++) t += num(xs[i]);
  return t;
}

function maxOver(xs: readonly Num[], [a, b]: [number, number]): number | null {
  let m: number | null = null;
  for (let i = a; i < b; i++) {
    const v = xs[i];
    if (v !== null && v !== undefined && Number.isFinite(v) && (m === null || v > m)) m = v;
  }
  return m;
}

/**
 * The windows just before `t` (up to a minute's worth) that no other event touches (nor its
 * 30 s aftermath): the baseline to measure `t` against. Falls back to the minute before `t`.
 */
function quietBefore(r: RunResult, triggers: readonly Trigger[], t: Trigger): number[] {
  const I = r.timeseries.intervalMs;
  const out: number[] = [];
  const busy = (w: number) =>
    triggers.some((u) => u !== t && u.startMs < (w + 1) * I && u.endMs + 30_000 > w * I);
  const want = Math.max(1, Math.round(60_000 / I));
  for (let w = Math.floor(t.startMs / I) - 1; w >= 0 && w * I >= r.warmupMs && out.length < want; w--)
    if (!busy(w)) out.push(w);
  if (out.length > 0) return out.reverse();
  const [a, b] = windowRange(
    I,
    r.timeseries.startMs.length,
    Math.max(r.warmupMs, t.startMs - 60_000),
    t.startMs,
  );
  return Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
}

const pick = (xs: readonly Num[], ws: readonly number[]) =>
  ws.map((w) => xs[w]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));

/** Goodput over offered per window, smoothed over ~10 s (centred), null without traffic. */
function goodputRatio(r: RunResult): Num[] {
  const ts = r.timeseries;
  const n = ts.startMs.length;
  const h = Math.floor(Math.max(1, Math.round(10_000 / ts.intervalMs)) / 2);
  const out: Num[] = [];
  for (let w = 0; w < n; w++) {
    const range: [number, number] = [Math.max(0, w - h), Math.min(n, w + h + 1)];
    const offered = sumOver(ts.offered, range);
    const inArrivals = (w + 1) * ts.intervalMs <= r.durationMs;
    out.push(offered > 0 && inArrivals ? sumOver(ts.goodput, range) / offered : null);
  }
  return out;
}

/** Plain words about goodput through one trigger: held, or fell to X% and recovered N s after. */
function recovery(
  r: RunResult,
  ratio: Num[],
  baseline: number,
  t: Trigger,
  nextStartMs: number,
  name: string,
): string {
  const I = r.timeseries.intervalMs;
  const n = ratio.length;
  const [a, b] = windowRange(I, n, t.startMs, t.endMs);
  let low: number | null = null;
  for (let w = a; w < Math.min(n, b + 1); w++) {
    const v = ratio[w];
    if (v !== null && v !== undefined && (low === null || v < low)) low = v;
  }
  if (low === null) return '';
  if (low >= DIP * baseline) return `Goodput held through the ${name}.`;
  const fell = `Goodput fell to ${fmtPct(low)} of offered`;
  const limit = Math.min(r.durationMs, nextStartMs > t.endMs ? nextStartMs : r.durationMs);
  const first = Math.max(0, Math.floor(t.endMs / I) - 1);
  for (let w = first; w < n && w * I < limit; w++) {
    const ok = (i: number) => {
      const v = ratio[i];
      return v === null || v === undefined || v >= DIP * baseline;
    };
    if (ratio[w] !== null && ok(w) && ok(w + 1) && ok(w + 2)) {
      const delay = (w + 1) * I - t.endMs;
      return delay <= I
        ? `${fell} and recovered as the ${name} ended.`
        : `${fell} and recovered ${fmtDuration(Math.round(delay / 1000) * 1000)} after the ${name} ended.`;
    }
  }
  return limit < r.durationMs
    ? `${fell} and had not recovered when the next event began at ${fmtDuration(limit)}.`
    : `${fell} and had not recovered by the end of arrivals at ${fmtDuration(r.durationMs)}.`;
}

function join(parts: string[]): string {
  const p = parts.filter(Boolean);
  if (p.length <= 1) return p[0] ?? '';
  return `${p.slice(0, -1).join(', ')} and ${p[p.length - 1]}`;
}

/** What one spike did: offered rate at its height, shedding, rate limits, the worst p99 TTFT. */
function spikeSentence(r: RunResult, triggers: readonly Trigger[], t: Trigger): string {
  const ts = r.timeseries;
  const I = ts.intervalMs;
  const n = ts.startMs.length;
  const perSec = 1000 / I;
  const after = windowRange(I, n, t.startMs, Math.min(r.durationMs, t.endMs + Math.max(30_000, 3 * I)));
  const before = quietBefore(r, triggers, t);
  const baseRate = median(pick(ts.offered, before)) * perSec;
  const [p0, p1] = windowRange(I, n, t.peakStartMs ?? t.startMs, t.peakEndMs ?? t.endMs);
  const held = ts.offered.slice(p0, p1).map(num);
  const peak = (held.length > 0 ? median(held) : (maxOver(ts.offered, after) ?? 0)) * perSec;
  const hold = (t.peakEndMs ?? t.endMs) - (t.peakStartMs ?? t.startMs);
  const head = `The ${t.label} at ${fmtDuration(t.startMs)} (${fmtDuration(hold)} at full height)`;
  const lift = Number.isFinite(baseRate)
    ? `took offered traffic from about ${fmtRate(baseRate)} to ${fmtRate(peak)}`
    : `took offered traffic to about ${fmtRate(peak)}`;
  const effects: string[] = [];
  const shed = sumOver(ts.shed, after);
  if (shed > 0) effects.push(`the gateway shed ${plural(shed, 'request')}`);
  const limited = Object.entries(r.providers)
    .filter(
      ([name, p]) =>
        (p.statuses['rate_limited'] ?? 0) > 0 && sumOver(ts.providers[name]?.errors ?? [], after) > 0,
    )
    .map(([name]) => name);
  if (limited.length > 0)
    effects.push(`it pushed ${join(limited)} into ${limited.length > 1 ? 'their' : 'its'} rate limit`);
  const worst = worstTtft(r, after, before);
  if (worst) effects.push(worst);
  return `${head} ${lift}${effects.length > 0 ? `; ${join(effects)}` : ''}.`;
}

/**
 * The class whose p99 TTFT rose the most in `during` against `before`, if its typical level
 * (the median over the windows, so one slow window does not speak for the whole event) at least
 * doubled.
 */
function worstTtft(r: RunResult, during: [number, number], before: readonly number[]): string {
  let best: { name: string; level: number; base: number } | undefined;
  for (const [name, c] of Object.entries(r.timeseries.classes)) {
    const level = median(
      c.ttftP99.slice(during[0], during[1]).filter((v): v is number => v !== null && Number.isFinite(v)),
    );
    const base = median(pick(c.ttftP99, before));
    if (!Number.isFinite(level) || !Number.isFinite(base) || base <= 0 || level < 2 * base) continue;
    if (!best || level / base > best.level / best.base) best = { name, level, base };
  }
  return best ? `${best.name} p99 TTFT ran at about ${fmtMs(best.level)} (from ${fmtMs(best.base)})` : '';
}

/** What one fault did: the provider's failed attempts, who took over, amplification. */
function faultSentence(r: RunResult, triggers: readonly Trigger[], t: Trigger): string {
  const ts = r.timeseries;
  const I = ts.intervalMs;
  const n = ts.startMs.length;
  const perSec = 1000 / I;
  const during = windowRange(I, n, t.startMs, t.endMs);
  const before = quietBefore(r, triggers, t);
  const head = `The ${t.provider} ${t.fault} from ${fmtDuration(t.startMs)} to ${fmtDuration(t.endMs)}`;
  const effects: string[] = [];
  const errors = sumOver(ts.providers[t.provider!]?.errors ?? [], during);
  const attempts = sumOver(ts.providers[t.provider!]?.attempts ?? [], during);
  if (errors > 0)
    effects.push(
      errors === attempts
        ? `${attempts === 1 ? 'its one attempt' : `all ${fmtInt(attempts)} of its attempts`} failed`
        : `${fmtInt(errors)} of its ${plural(attempts, 'attempt')} failed`,
    );
  else effects.push('none of its attempts failed');
  const span = (during[1] - during[0]) / perSec;
  const spanBefore = before.length / perSec;
  for (const [name, p] of Object.entries(ts.providers)) {
    if (name === t.provider || spanBefore <= 0 || span <= 0) continue;
    const was = pick(p.attempts, before).reduce((a, v) => a + v, 0) / spanBefore;
    const now = sumOver(p.attempts, during) / span;
    if (now > 1.3 * was && now - was > 0.5)
      effects.push(`${name} took over (attempts from ${fmtRate(was)} to ${fmtRate(now)})`);
  }
  let amp = 0;
  for (let w = during[0]; w < during[1]; w++) {
    const o = num(ts.offered[w]);
    if (o > 0) amp = Math.max(amp, num(ts.attempts[w]) / o);
  }
  if (amp >= 1.1) effects.push(`amplification peaked at ${amp.toFixed(2)} attempts per request`);
  const worst = worstTtft(r, during, before);
  if (worst) effects.push(worst);
  return `${head}: ${join(effects)}.`;
}

function sloSentence(r: RunResult): string {
  if (r.slos.length === 0) return 'The scenario defines no SLOs.';
  const failed = r.slos.filter((s) => !s.pass);
  if (failed.length === 0)
    return r.slos.length === 1
      ? 'The SLO passes.'
      : r.slos.length === 2
        ? 'Both SLOs pass.'
        : `All ${r.slos.length} SLOs pass.`;
  const fail =
    r.slos.length === 1
      ? 'The SLO fails'
      : `${failed.length} of ${r.slos.length} SLOs ${failed.length === 1 ? 'fails' : 'fail'}`;
  return `${fail}: ${failed
    .map((s) => `${s.name} (observed ${fmtSloValue(s.metric, s.observed)})`)
    .join('; ')}.`;
}

function recoverySentence(rc: RecoveryResult): string {
  const each = rc.triggers.map((t): string => {
    if (t.verdict === 'stable') return `it rode through ${t.name}`;
    if (t.verdict === 'metastable')
      return `it stayed down after ${t.name} ended, a metastable failure: ${t.reason}`;
    if (t.verdict === 'inconclusive') return `${t.name} could not be judged: ${t.reason}`;
    const after = t.recoveredAfterMs ?? 0;
    const when = after < 1 ? 'as soon as' : `${fmtElapsed(after)} after`;
    return `it was healthy again ${when} ${t.name} ended${t.verdict === 'late' ? ` (allowed ${fmtElapsed(rc.criteria.withinMs)})` : ''}`;
  });
  return `Recovery: ${join(each)}.`;
}

/** An SLO figure in its unit: latencies in ms, shares as percentages, costs in USD. */
export function fmtSloValue(metric: string, v: number | null): string {
  if (v === null) return 'no data';
  if (metric.includes('.')) return fmtMs(v);
  if (metric.endsWith('Share')) return fmtPct(v);
  if (metric === 'amplification') return `${v.toFixed(2)}x`;
  return fmtUsd(v);
}

/** Which classes paid: shares of requests shed, rate-limited, failed, timed out or abandoned. */
function lossSentence(r: RunResult): string {
  const parts: string[] = [];
  for (const [name, c] of Object.entries(r.classes)) {
    const q = c.requests;
    if (q.offered === 0) continue;
    const losses = (
      [
        [q.shed, 'were shed'],
        [q.rateLimited, 'were rate-limited'],
        [q.failed, 'failed'],
        [q.timedOut, 'timed out'],
        [q.abandoned, 'were abandoned'],
        [q.cancelled, 'were cancelled by the next keystroke'],
      ] as [number, string][]
    )
      .filter(([k]) => k / q.offered >= 0.005)
      .map(([k, what]) => `${fmtPct(k / q.offered)} ${what}`);
    if (losses.length > 0) parts.push(`of ${name} requests, ${join(losses)}`);
  }
  if (parts.length === 0) return 'No class lost as much as 0.5% of its requests to shedding or errors.';
  const s = parts.join('; ');
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
}

/** The run's story: one paragraph of plain sentences. */
export function runStory(r: RunResult, s: Scenario): string {
  const q = r.requests;
  const measured = r.durationMs - r.warmupMs;
  const out: string[] = [
    `${plural(q.offered, 'request')} arrived over ${fmtDuration(measured)}${r.warmupMs > 0 ? ` after a ${fmtDuration(r.warmupMs)} warmup` : ''} (${fmtRate(q.offered / Math.max(1e-9, measured / 1000))} on average); ${fmtPct(q.completedShare)} completed and ${fmtPct(q.goodputShare)} met their class's SLOs.`,
  ];
  const ratio = goodputRatio(r);
  const I = r.timeseries.intervalMs;
  const triggers = scenarioTriggers(s);
  const firstStart = triggers[0]?.startMs ?? r.durationMs;
  const pre = ratio
    .slice(Math.ceil(r.warmupMs / I), Math.floor(firstStart / I))
    .filter((v): v is number => v !== null);
  const all = ratio.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const baseline =
    pre.length >= 5 ? median(pre) : (all[Math.floor(0.9 * (all.length - 1))] ?? q.goodputShare);
  const main = triggers.filter((t) => t.kind !== 'burst');
  main.forEach((t, i) => {
    const next = main.slice(i + 1).find((u) => u.startMs >= t.endMs);
    const sentence = t.kind === 'spike' ? spikeSentence(r, triggers, t) : faultSentence(r, triggers, t);
    const name = t.kind === 'spike' ? 'spike' : t.fault === 'outage' ? 'outage' : 'fault';
    // With a recovery verdict, its sentence speaks for recovery (one judgement, not two).
    out.push(
      sentence,
      r.recovery ? '' : recovery(r, ratio, baseline, t, next?.startMs ?? r.durationMs, name),
    );
  });
  const bursts = triggers.filter((t) => t.kind === 'burst');
  if (bursts.length > 0)
    out.push(`Traffic came in ${plural(bursts.length, 'burst')} of ${bursts[0]!.multiplier}x.`);
  out.push(lossSentence(r));
  if (q.amplification >= 1.05)
    out.push(
      `Each request took ${q.amplification.toFixed(2)} attempts on average (${plural(q.gatewayRetries, 'gateway retry', 'gateway retries')}, ${plural(q.clientRetries, 'client retry', 'client retries')}${q.hedges > 0 ? `, ${plural(q.hedges, 'hedge')}` : ''}).`,
    );
  out.push(sloSentence(r));
  if (r.recovery) out.push(recoverySentence(r.recovery));
  return out.filter(Boolean).join(' ');
}

/** Units of the compared figures. */
export const FIGURE_UNITS: Record<string, Unit> = {
  goodputShare: 'share',
  goodputPerSec: 'rps',
  shedShare: 'share',
  errorShare: 'share',
  amplification: 'ratio',
  costUsd: 'usd',
  fleetCostUsd: 'usd',
  ttftP50: 'ms',
  ttftP99: 'ms',
  slosPassed: 'count',
  recovered: 'share',
  recoveredAfterMs: 'ms',
};

/** A difference in a figure's unit: shares in percentage points. */
export function fmtDiff(unit: Unit, d: number): string {
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  if (unit === 'share') return `${sign}${(Math.abs(d) * 100).toFixed(1)} pts`;
  return `${sign}${fmtValue(unit, Math.abs(d))}`;
}

/** mean ± ci95 in a unit; just the mean with one seed. */
export function fmtEstimate(unit: Unit, e: { mean: number | null; ci95: number | null; n: number }): string {
  if (e.mean === null || !Number.isFinite(e.mean)) return '-';
  if (e.n < 2 || e.ci95 === null || !Number.isFinite(e.ci95)) return fmtValue(unit, e.mean);
  return `${fmtValue(unit, e.mean)} ± ${fmtValue(unit, e.ci95)}`;
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

const NO_ESTIMATE = { mean: null, ci95: null, n: 0 };

/** The comparison's story: the leader, who is indistinguishable from it, the trade-offs, SLOs. */
export function compareStory(r: CompareResult): string {
  const { figure, higherIsBetter } = OBJECTIVES[r.objective];
  const unit = FIGURE_UNITS[figure] ?? 'count';
  const leader = r.entries[0];
  if (!leader) return 'No policies were compared.';
  const seeds = r.seeds.length;
  const out: string[] = [
    `Ranked by ${r.objective} over ${plural(seeds, 'seed')} of identical traffic, ${leader.label} leads with ${fmtEstimate(unit, leader.summary[figure as keyof EntryResult['summary']] ?? NO_ESTIMATE)}${higherIsBetter ? '' : ' (lower is better)'}.`,
  ];
  const same = r.entries.filter((e) => e.vsLeader && !e.vsLeader.significant);
  const worse = r.entries.filter((e) => e.vsLeader?.significant);
  if (same.length > 0)
    out.push(
      `${join(same.map((e) => e.label))} ${same.length > 1 ? 'are' : 'is'} not significantly different (paired over the same seeds, 5% level).`,
    );
  if (worse.length > 0)
    out.push(
      `${join(
        worse.map((e) =>
          finite(e.vsLeader?.mean) ? `${e.label} (${fmtDiff(unit, e.vsLeader.mean)})` : e.label,
        ),
      )} ${worse.length > 1 ? 'are' : 'is'} significantly worse.`,
    );
  const best = (f: 'ttftP99' | 'costUsd') => {
    const xs = r.entries.filter((e) => finite(e.summary[f].mean));
    return xs.sort((a, b) => a.summary[f].mean - b.summary[f].mean)[0];
  };
  const fast = best('ttftP99');
  const cheap = best('costUsd');
  if (r.entries.length > 1 && fast && figure !== 'ttftP99')
    out.push(`Lowest p99 TTFT: ${fast.label} (${fmtEstimate('ms', fast.summary.ttftP99)}).`);
  if (r.entries.length > 1 && cheap && figure !== 'costUsd' && cheap.summary.costUsd.mean > 0)
    out.push(`Cheapest: ${cheap.label} (${fmtEstimate('usd', cheap.summary.costUsd)}).`);
  const slo = r.entries.map((e) => ({
    e,
    passed: e.seeds.reduce((a, s) => a + s.slosPassed, 0),
    total: e.slosTotal * e.seeds.length,
  }));
  if (slo.every((x) => x.total === 0)) out.push('The scenario defines no SLOs.');
  else if (slo.every((x) => x.passed === x.total)) out.push('Every policy met every SLO on every seed.');
  else
    out.push(
      `SLO checks passed: ${slo.map((x) => `${x.e.label} ${fmtInt(x.passed)}/${fmtInt(x.total)}`).join(', ')}.`,
    );
  if (r.cheapestPassing !== undefined)
    out.push(
      r.cheapestPassing === null
        ? 'No entry passed every SLO on every seed.'
        : `Cheapest that passed every SLO on every seed: ${r.cheapestPassing}.`,
    );
  return out.join(' ');
}
