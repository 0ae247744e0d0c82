/**
 * One comparison job: a scenario run with one policy entry and one seed, reduced to the figures a
 * comparison ranks on. Runs in a worker thread (compare-worker.ts) or in-process.
 */
import type { RecoveryResult } from '../metrics/recovery.ts';
import type { RunResult } from '../metrics/result-types.ts';
import { downsample, downsampleFactor, groupSizes } from '../report/downsample.ts';
import type { WorkLimits } from '../scenario/budget.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import type { Override } from '../scenario/overrides.ts';
import { simulate } from '../simulator/simulate.ts';

export interface CompareJob {
  file: string;
  overrides: Override[];
  /** Work limits raised with --max (scenario/budget.ts). */
  limits?: Partial<WorkLimits>;
  seed: number;
  /** Index of the policy entry (results are matched back by it). */
  entry: number;
  /** Keep a compact copy of the run's time series (set for the first seed of each entry). */
  keepSeries?: boolean;
  /** Add the run's SLO margin (capacity plans rank configurations by it). */
  keepMargin?: boolean;
  /** Per-request luck (SimulateOptions.luck); absent: arrival. */
  luck?: 'request';
}

/** Most windows kept per series in a comparison (the report draws a row of small charts). */
export const SERIES_MAX_POINTS = 300;

/**
 * A compact copy of one run's time series: window i covers [i x intervalMs, (i + 1) x intervalMs)
 * from the start of the run. Rates are per second; ttftP99 is the highest p99 over classes (ms).
 * Numbers only, so the worker message stays small.
 */
export interface SeedSeries {
  intervalMs: number;
  startMs: number;
  offered: (number | null)[];
  completed: (number | null)[];
  goodput: (number | null)[];
  ttftP99: (number | null)[];
}

/** The figures of one run; latencies in ms (null when no request completed). */
export interface SeedFigures {
  seed: number;
  goodputShare: number;
  goodputPerSec: number;
  shedShare: number;
  errorShare: number;
  amplification: number;
  /** Token costs plus fleet cost, USD. */
  costUsd: number;
  /** The fleet's cost alone (GPU pools billed by replica- or node-hours), USD; absent when it is 0. */
  fleetCostUsd?: number;
  ttftP50: number | null;
  ttftP99: number | null;
  classes: Record<
    string,
    {
      ttftP50: number | null;
      ttftP99: number | null;
      goodputShare: number;
      /** With a scenario `quality` section: the class's acceptable share. */
      acceptableShare?: number;
    }
  >;
  /** With a scenario `quality` section: its figures over all classes (docs/concepts/quality.md). */
  quality?: SeedQuality;
  /**
   * With prefix caching in any pool: prompt tokens its caches served over prompt tokens admitted,
   * summed over those pools (each pool's `prefixCache`, docs/concepts/prefix-caching.md).
   */
  tokenHitRate?: number;
  slosPassed: number;
  slosTotal: number;
  /** The cascade verdict, when the scenario declares `recovery`. */
  recovery: {
    verdict: string;
    pass: boolean;
    recoveredAfterMs: number | null;
    /** The first trigger's baseline met the criteria (null: no windows before it). */
    baselineHealthy: boolean | null;
    /** The first trigger's last window before its horizon: where the run settled. */
    endGoodputShare: number | null;
    endAmplification: number | null;
  } | null;
  /** Every SLO passed and the run recovered (the run's exit status). */
  pass: boolean;
  /** The run's time series (first seed of each entry only). */
  series?: SeedSeries;
  /** The tightest SLO's slack relative to its threshold (capacity plans only); see sloMargin. */
  sloMargin?: number | null;
}

/** A run's quality figures: shares of offered requests; cost per acceptable answer in USD (tokens). */
export interface SeedQuality {
  acceptableShare: number;
  qualityGoodputShare: number;
  costPerAcceptableUsd: number | null;
}

const round = (v: number) => Number(v.toPrecision(6));

/** The run's headline series, downsampled so every policy of one scenario gets the same windows. */
export function seriesOf(r: RunResult): SeedSeries {
  const ts = r.timeseries;
  const n = ts.startMs.length;
  // The factor follows the scenario's duration, not the window count (the drain differs by policy).
  const factor = downsampleFactor(Math.ceil(r.durationMs / ts.intervalMs), SERIES_MAX_POINTS);
  const secs = groupSizes(n, factor).map((k) => (k * ts.intervalMs) / 1000);
  const rate = (xs: readonly (number | null)[]) =>
    downsample(xs, factor, 'sum').map((v, i) => (v === null ? null : round(v / secs[i]!)));
  const classes = Object.values(ts.classes);
  const p99 = Array.from({ length: n }, (_, i) => {
    let m: number | null = null;
    for (const c of classes) {
      const v = c.ttftP99[i];
      if (v !== null && v !== undefined && Number.isFinite(v)) m = m === null ? v : Math.max(m, v);
    }
    return m;
  });
  return {
    intervalMs: ts.intervalMs * factor,
    startMs: 0,
    offered: rate(ts.offered),
    completed: rate(ts.completed),
    goodput: rate(ts.goodput),
    ttftP99: downsample(p99, factor, 'max').map((v) => (v === null ? null : round(v))),
  };
}

/** How the first trigger's run looked before it and at its horizon (its last window after it). */
function settled(rc: RecoveryResult) {
  const t = rc.triggers[0];
  const after = t?.windows.filter((w) => w.phase === 'after') ?? [];
  const last = after[after.length - 1];
  return {
    baselineHealthy: t?.baseline?.healthy ?? null,
    endGoodputShare: last?.goodputShare ?? null,
    endAmplification: last?.amplification ?? null,
  };
}

/** Recovery verdicts over seeds in first-seen order, e.g. [['recovered', 8], ['metastable', 2]]. */
export function verdictCounts(seeds: readonly SeedFigures[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const s of seeds)
    if (s.recovery) counts.set(s.recovery.verdict, (counts.get(s.recovery.verdict) ?? 0) + 1);
  return [...counts];
}

/** `recovered 8, metastable 2`. */
export function fmtVerdictCounts(seeds: readonly SeedFigures[]): string {
  return verdictCounts(seeds)
    .map(([v, n]) => `${v} ${n}`)
    .join(', ');
}

export function figuresOf(r: RunResult): SeedFigures {
  return {
    seed: r.seed,
    goodputShare: r.requests.goodputShare,
    goodputPerSec: r.requests.goodputPerSec,
    shedShare: r.requests.shedShare,
    errorShare: r.requests.errorShare,
    amplification: r.requests.amplification,
    costUsd: r.cost.totalUsd + (r.cost.fleetUsd ?? 0),
    ...(r.cost.fleetUsd ? { fleetCostUsd: r.cost.fleetUsd } : {}),
    ttftP50: r.latency.ttft.p50,
    ttftP99: r.latency.ttft.p99,
    classes: Object.fromEntries(
      Object.entries(r.classes).map(([name, c]) => [
        name,
        {
          ttftP50: c.latency.ttft.p50,
          ttftP99: c.latency.ttft.p99,
          goodputShare: c.requests.goodputShare,
          ...(c.quality ? { acceptableShare: c.quality.acceptableShare } : {}),
        },
      ]),
    ),
    ...(r.quality
      ? {
          quality: {
            acceptableShare: r.quality.acceptableShare,
            qualityGoodputShare: r.quality.qualityGoodputShare,
            costPerAcceptableUsd: r.quality.costPerAcceptableUsd,
          },
        }
      : {}),
    ...tokenHitRateOf(r),
    slosPassed: r.slos.filter((s) => s.pass).length,
    slosTotal: r.slos.length,
    recovery: r.recovery
      ? {
          verdict: r.recovery.verdict,
          pass: r.recovery.pass,
          // The slowest trigger's recovery (0 when every trigger was ridden through).
          recoveredAfterMs: r.recovery.triggers.every(
            (t) => t.recoveredAfterMs !== null || t.verdict === 'stable',
          )
            ? Math.max(0, ...r.recovery.triggers.map((t) => t.recoveredAfterMs ?? 0))
            : null,
          ...settled(r.recovery),
        }
      : null,
    pass: r.pass,
  };
}

/** The run's token hit rate over every pool with a prefix cache (nothing when none has one). */
function tokenHitRateOf(r: RunResult): { tokenHitRate?: number } {
  let prompt = 0;
  let cached = 0;
  let any = false;
  for (const p of Object.values(r.providers)) {
    if (!p.prefixCache) continue;
    any = true;
    prompt += p.prefixCache.promptTokens;
    cached += p.prefixCache.cachedTokens;
  }
  if (!any) return {};
  return { tokenHitRate: prompt > 0 ? round(cached / prompt) : 0 };
}

/**
 * How far the run is from its tightest SLO, relative to the threshold: 0.2 = every SLO has at
 * least 20% to spare, -0.1 = one misses by 10%. Null without SLOs or when one measured nothing.
 */
export function sloMargin(r: RunResult): number | null {
  if (r.slos.length === 0) return null;
  let margin = Number.POSITIVE_INFINITY;
  for (const s of r.slos) {
    if (s.observed === null) return null;
    const slack = s.bound === 'max' ? s.threshold - s.observed : s.observed - s.threshold;
    margin = Math.min(margin, s.threshold !== 0 ? slack / Math.abs(s.threshold) : slack);
  }
  return round(margin);
}

export async function runJob(job: CompareJob): Promise<SeedFigures> {
  const loaded = await loadScenarioFile(job.file, { overrides: job.overrides, limits: job.limits });
  const r = await simulate(loaded, { seed: job.seed, ...(job.luck ? { luck: job.luck } : {}) });
  const figures = job.keepSeries ? { ...figuresOf(r), series: seriesOf(r) } : figuresOf(r);
  return job.keepMargin ? { ...figures, sloMargin: sloMargin(r) } : figures;
}
