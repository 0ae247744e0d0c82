/**
 * sweep: one scenario parameter (usually the base load) over a list of values, several seeds
 * each, and where each value leaves the system after its trigger. The map of metastable failures
 * (Bronson et al., HotOS'21; Huang et al., OSDI'22) has three regions:
 *
 * - stable: the run rides through the trigger or recovers from it;
 * - vulnerable: healthy before the trigger, but the trigger leaves it failed (late or metastable):
 *   the load is sustainable until something pushes the system over;
 * - metastable: already failed before the trigger: at this load the sustaining effect (retries,
 *   timed-out work still served) needs no named trigger, ordinary bursts are enough;
 * - inconclusive: the verdict could not tell (no baseline before the trigger, too little run after).
 *
 * Runs go through the same worker pool as compare, with the same seeds for every value.
 */
import { FloodgateError } from '../errors.ts';
import type { WorkLimits } from '../scenario/budget.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import type { Override } from '../scenario/overrides.ts';
import { parseRange } from './capacity.ts';
import { runJobs } from './compare.ts';
import { type CompareJob, type SeedFigures, verdictCounts } from './job.ts';
import { type Estimate, estimate } from './stats.ts';
import { fileSha256, type StudyBase } from './study.ts';

export const REGIONS = ['stable', 'vulnerable', 'metastable', 'inconclusive'] as const;
export type Region = (typeof REGIONS)[number];

export interface SweepOptions {
  file: string;
  /** Scenario path to vary, e.g. `workload.arrivals.rate`. */
  path: string;
  /** The values as they are substituted, units kept (`20/s`, `8`). */
  values: string[];
  seeds: number[];
  jobs: number;
  baseOverrides: Override[];
  limits?: Partial<WorkLimits>;
  onProgress?: (done: number, total: number) => void;
}

export interface SweepPoint {
  text: string;
  /**
   * The most common region over seeds (ties go to the worse one); inconclusive on every seed when
   * the scenario has no recovery block (a quality-only sweep: nothing to tell).
   */
  region: Region;
  regions: Record<Region, number>;
  /** Recovery verdicts over seeds, e.g. { recovered: 4, metastable: 1 }. */
  verdicts: Record<string, number>;
  goodputShare: Estimate;
  amplification: Estimate;
  /** Goodput share and amplification of the first trigger's last window: where the run settled. */
  endGoodputShare: Estimate;
  endAmplification: Estimate;
  /** Over the seeds that came back (recovered or late; 0 for stable). */
  recoveredAfterMs: Estimate;
  /** With a scenario `quality` section: the cost-quality curve's figures over seeds. */
  quality?: SweepQuality;
  seeds: SeedFigures[];
}

export interface SweepQuality {
  acceptableShare: Estimate;
  qualityGoodputShare: Estimate;
  /** Token cost per acceptable answer (USD). */
  costPerAcceptableUsd: Estimate;
  /** Cost per run, tokens + fleet (USD). */
  costUsd: Estimate;
}

export interface SweepResult {
  schema: 'floodgate/sweep-result@1';
  scenario: string;
  path: string;
  seeds: number[];
  /** False when the scenario has no recovery block (a quality-only sweep: no regions to map). */
  recovery?: false;
  points: SweepPoint[];
}

/** `--values 20/s,25/s` as given, or `--range 20/s..40/s --steps 5` evenly spaced with the unit. */
export function sweepValues(values: string | undefined, range: string | undefined, steps: number): string[] {
  if ((values === undefined) === (range === undefined))
    throw new FloodgateError('FG_OVERRIDE_INVALID', 'sweep: expected exactly one of --values or --range');
  if (values !== undefined) {
    const list = values
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    if (list.length === 0)
      throw new FloodgateError(
        'FG_OVERRIDE_INVALID',
        `--values: expected a comma-separated list, got '${values}'`,
      );
    return list;
  }
  if (!(Number.isInteger(steps) && steps >= 2))
    throw new FloodgateError('FG_OVERRIDE_INVALID', `--steps: expected a whole number >= 2, got '${steps}'`);
  const { lo, hi, unit, integer } = parseRange(range!);
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const v = lo + ((hi - lo) * i) / (steps - 1);
    const text = `${integer ? Math.round(v) : Number(v.toPrecision(6))}${unit}`;
    if (out[out.length - 1] !== text) out.push(text);
  }
  return out;
}

export function regionOf(s: SeedFigures): Region {
  if (!s.recovery)
    throw new FloodgateError('FG_SCENARIO_INVALID', 'sweep needs a scenario with a recovery block');
  if (s.recovery.pass) return 'stable';
  if (s.recovery.verdict === 'inconclusive' || s.recovery.baselineHealthy === null) return 'inconclusive';
  return s.recovery.baselineHealthy ? 'vulnerable' : 'metastable';
}

/** A sweep before it runs: everything its result is assembled from (a shard's part carries it). */
export interface SweepStudy extends StudyBase {
  command: 'sweep';
  path: string;
  values: string[];
  baseOverrides: Override[];
  limits?: Partial<WorkLimits>;
}

/**
 * Checks the scenario (it needs a recovery block to classify runs, or a quality section to draw
 * the cost-quality curve) and describes the sweep.
 */
export async function planSweep(o: Omit<SweepOptions, 'jobs'>): Promise<SweepStudy> {
  // Refuse a scenario without a recovery block before running anything.
  const loaded = await loadScenarioFile(o.file, { overrides: o.baseOverrides, limits: o.limits });
  if (!loaded.scenario.recovery && !loaded.scenario.quality)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${o.file}: sweep needs a recovery block (triggers and what recovering means) to classify runs, or a quality section to draw the cost-quality curve`,
    );
  return {
    command: 'sweep',
    scenario: o.file,
    scenarioSha256: fileSha256(o.file),
    seeds: o.seeds,
    path: o.path,
    values: o.values,
    baseOverrides: o.baseOverrides,
    ...(o.limits ? { limits: o.limits } : {}),
  };
}

/** The sweep's runs in order: every seed of the first value, then of the second, ... */
export function sweepJobs(study: SweepStudy): CompareJob[] {
  return study.values.flatMap((text, entry) =>
    study.seeds.map((seed) => ({
      file: study.scenario,
      overrides: [
        ...study.baseOverrides,
        { path: study.path, value: /^-?[\d.]+$/.test(text) ? Number(text) : text },
      ],
      limits: study.limits,
      seed,
      entry,
    })),
  );
}

/** The sweep from the figures of every run of sweepJobs(study), in that order. */
export function assembleSweep(study: SweepStudy, figures: readonly SeedFigures[]): SweepResult {
  const jobs = sweepJobs(study);
  const points = study.values.map((text, entry) =>
    summarize(
      text,
      figures.filter((_, k) => jobs[k]!.entry === entry),
    ),
  );
  const recovery = figures.some((s) => s.recovery);
  return {
    schema: 'floodgate/sweep-result@1',
    scenario: study.scenario,
    path: study.path,
    seeds: study.seeds,
    ...(recovery ? {} : { recovery: false as const }),
    points,
  };
}

export async function sweep(o: SweepOptions): Promise<SweepResult> {
  const study = await planSweep(o);
  return assembleSweep(study, await runJobs(sweepJobs(study), o.jobs, o.onProgress));
}

function summarize(text: string, seeds: SeedFigures[]): SweepPoint {
  const regions: Record<Region, number> = { stable: 0, vulnerable: 0, metastable: 0, inconclusive: 0 };
  // Without a recovery block (a quality-only sweep) no seed has a verdict: inconclusive.
  for (const s of seeds) regions[s.recovery ? regionOf(s) : 'inconclusive']++;
  const verdicts = Object.fromEntries(verdictCounts(seeds));
  const region = REGIONS.reduce((best, r) => (regions[r] >= regions[best] ? r : best), 'stable' as Region);
  const of = (f: (s: SeedFigures) => number | null | undefined) =>
    estimate(seeds.map((s) => f(s) ?? Number.NaN));
  const quality: SweepQuality | undefined = seeds[0]?.quality
    ? {
        acceptableShare: of((s) => s.quality?.acceptableShare),
        qualityGoodputShare: of((s) => s.quality?.qualityGoodputShare),
        costPerAcceptableUsd: of((s) => s.quality?.costPerAcceptableUsd),
        costUsd: of((s) => s.costUsd),
      }
    : undefined;
  return {
    text,
    region,
    regions,
    verdicts,
    goodputShare: of((s) => s.goodputShare),
    amplification: of((s) => s.amplification),
    endGoodputShare: of((s) => s.recovery?.endGoodputShare),
    endAmplification: of((s) => s.recovery?.endAmplification),
    recoveredAfterMs: of((s) => s.recovery?.recoveredAfterMs),
    ...(quality ? { quality } : {}),
    seeds,
  };
}

/** The region boundaries in words, e.g. `stable up to 24/s, vulnerable 26/s..30/s, metastable from 32/s`. */
export function describeRegions(points: readonly SweepPoint[]): string {
  const runs: { region: Region; from: string; to: string }[] = [];
  for (const p of points) {
    const last = runs[runs.length - 1];
    if (last && last.region === p.region) last.to = p.text;
    else runs.push({ region: p.region, from: p.text, to: p.text });
  }
  return runs
    .map((r) => (r.from === r.to ? `${r.region} at ${r.from}` : `${r.region} ${r.from}..${r.to}`))
    .join(', ');
}
