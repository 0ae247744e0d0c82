/**
 * Parses `--target`: comma-separated `[class:]metric<=value` / `>=` into scenario SLOs.
 * Example: `tab:ttft.p99<=500ms,goodputShare>=95%`.
 */
export function parseTargets(text: string): { class?: string; metric: string; max?: string; min?: string }[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const m = /^(?:([\w.-]+):)?([\w.]+)\s*(<=|>=)\s*(\S+)$/.exec(t);
      if (!m)
        throw new FloodgateError(
          'FG_OVERRIDE_INVALID',
          `--target: expected [class:]metric<=value or >=value, such as tab:ttft.p99<=500ms, got '${t}'`,
        );
      return {
        ...(m[1] ? { class: m[1] } : {}),
        metric: m[2]!,
        ...(m[3] === '<=' ? { max: m[4]! } : { min: m[4]! }),
      };
    });
}

/**
 * capacity: the smallest value of a scenario parameter (replicas, a concurrency limit, a rate
 * limit) that meets the SLOs on every seed, or with `maximize` the largest (an arrival rate).
 * Bisection over [lo, hi], assuming the SLOs get easier (minimize) or harder (maximize) as the
 * value grows; every probe is reported as it finishes so a user can follow the search.
 */
import { FloodgateError } from '../errors.ts';
import type { WorkLimits } from '../scenario/budget.ts';
import type { Override } from '../scenario/overrides.ts';
import { runJobs } from './compare.ts';
import type { CompareJob, SeedFigures } from './job.ts';

export interface CapacityOptions {
  file: string;
  /** Scenario path to vary, e.g. `providers[0].replicas`. */
  path: string;
  /** Bounds as written, e.g. `2..32` or `10/s..200/s` (the unit suffix is kept). */
  range: string;
  maximize: boolean;
  seeds: number[];
  jobs: number;
  baseOverrides: Override[];
  limits?: Partial<WorkLimits>;
  /** Stop when hi - lo is at most this (real-valued ranges); integer ranges search exactly. */
  relativeTolerance: number;
  onProbe?: (probe: Probe) => void;
}

export interface Probe {
  value: number;
  /** The value as substituted into the scenario (with its unit). */
  text: string;
  pass: boolean;
  seedsPassed: number;
  seeds: SeedFigures[];
  meanCostUsd: number;
}

export interface CapacityResult {
  schema: 'floodgate/capacity-result@1';
  scenario: string;
  path: string;
  maximize: boolean;
  /** The answer, or null when no value in the range meets the SLOs. */
  value: number | null;
  text: string | null;
  /** Mean cost (tokens + fleet) over seeds at the answer. */
  costUsd: number | null;
  probes: Probe[];
}

export function parseRange(range: string): { lo: number; hi: number; unit: string; integer: boolean } {
  const m = /^\s*([\d.]+)\s*([^.\d\s][^.]*)?\s*\.\.\s*([\d.]+)\s*(\S*)\s*$/.exec(range);
  if (!m)
    throw new FloodgateError(
      'FG_OVERRIDE_INVALID',
      `--range: expected LO..HI such as 2..32 or 10/s..200/s, got '${range}'`,
    );
  const lo = Number(m[1]);
  const hi = Number(m[3]);
  const unit = (m[4] || m[2] || '').trim();
  if (!(lo < hi))
    throw new FloodgateError('FG_OVERRIDE_INVALID', `--range: expected LO < HI, got '${range}'`);
  // Whole-number bounds without a unit are counts (replicas, limits): searched exactly.
  return {
    lo,
    hi,
    unit,
    integer: unit === '' && Number.isInteger(lo) && Number.isInteger(hi) && !/\./.test(`${m[1]}${m[3]}`),
  };
}

export async function capacity(o: CapacityOptions): Promise<CapacityResult> {
  const { lo, hi, unit, integer } = parseRange(o.range);
  const probes: Probe[] = [];
  const probe = async (value: number): Promise<Probe> => {
    const text = `${integer ? Math.round(value) : Number(value.toPrecision(6))}${unit}`;
    const jobs: CompareJob[] = o.seeds.map((seed) => ({
      file: o.file,
      overrides: [...o.baseOverrides, { path: o.path, value: unit ? text : Number(text) }],
      limits: o.limits,
      seed,
      entry: 0,
    }));
    const seeds = await runJobs(jobs, o.jobs);
    if (seeds[0]!.slosTotal === 0 && seeds[0]!.recovery === null) {
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${o.file}: capacity needs SLOs (or a recovery verdict) to meet: add slos to the scenario or pass --target`,
      );
    }
    const seedsPassed = seeds.filter((s) => s.pass).length;
    const p: Probe = {
      value,
      text,
      pass: seedsPassed === seeds.length,
      seedsPassed,
      seeds,
      meanCostUsd: seeds.reduce((a, s) => a + s.costUsd, 0) / seeds.length,
    };
    probes.push(p);
    o.onProbe?.(p);
    return p;
  };
  // good: the end of the range expected to pass; bad: the end expected to fail.
  let good = o.maximize ? lo : hi;
  let bad = o.maximize ? hi : lo;
  const goodProbe = await probe(good);
  if (!goodProbe.pass) return result(o, null, probes);
  const badProbe = await probe(bad);
  if (badProbe.pass) return result(o, badProbe, probes); // the whole range passes
  let best = goodProbe;
  const done = () =>
    integer
      ? Math.abs(good - bad) <= 1
      : Math.abs(good - bad) <= o.relativeTolerance * Math.max(Math.abs(good), Math.abs(bad));
  while (!done()) {
    const mid = integer ? Math.floor((good + bad) / 2) : (good + bad) / 2;
    const p = await probe(mid);
    if (p.pass) {
      good = mid;
      best = p;
    } else bad = mid;
  }
  return result(o, best, probes);
}

function result(o: CapacityOptions, best: Probe | null, probes: Probe[]): CapacityResult {
  return {
    schema: 'floodgate/capacity-result@1',
    scenario: o.file,
    path: o.path,
    maximize: o.maximize,
    value: best ? best.value : null,
    text: best ? best.text : null,
    costUsd: best ? best.meanCostUsd : null,
    probes,
  };
}
