/**
 * capacity: the smallest value of a scenario parameter (replicas, a concurrency limit, a rate
 * limit) that meets the SLOs on every seed, or with `maximize` the largest (an arrival rate).
 * Bisection over [lo, hi], assuming the SLOs get easier (minimize) or harder (maximize) as the
 * value grows; every probe is reported as it finishes so a user can follow the search.
 * With several parameters (`params`), plan.ts searches them together for the cheapest passing
 * configuration.
 *
 * The search is a pure function of the outcomes it knows (nextProbe), so it runs one probe at a
 * time here, or in waves of parallel shards (waves.ts, src/shard) with the same result.
 */
import { FloodgateError } from '../errors.ts';
import type { WorkLimits } from '../scenario/budget.ts';
import type { Override } from '../scenario/overrides.ts';
import { runJobs } from './compare.ts';
import type { CompareJob, SeedFigures } from './job.ts';
import { type CapacityPlanResult, type PlanParam, planNext, planResult } from './plan.ts';
import { fileSha256, type StudyBase } from './study.ts';
import { type NextProbe, replay } from './waves.ts';

/**
 * Parses `--target`: comma-separated `[class:]metric<=value` / `>=` into scenario SLOs.
 * Example: `tab:ttft.p99<=500ms,goodputShare>=95%`.
 */
export function parseTargets(
  text: string,
): { class?: string; metric: string; max?: string | number; min?: string | number }[] {
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
      // A plain number stays a number (a cost in USD such as costPerAcceptableUsd<=0.01), as YAML reads it.
      const value = /^-?\d+(?:\.\d+)?$/.test(m[4]!) ? Number(m[4]) : m[4]!;
      return {
        ...(m[1] ? { class: m[1] } : {}),
        metric: m[2]!,
        ...(m[3] === '<=' ? { max: value } : { min: value }),
      };
    });
}

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

export interface BisectSearch {
  kind: 'bisect';
  path: string;
  range: string;
  maximize: boolean;
  relativeTolerance: number;
}

export interface PlanSearch {
  kind: 'plan';
  params: PlanParam[];
}

/** A capacity search before it runs (a shard's part carries it). */
export interface CapacityStudy extends StudyBase {
  command: 'capacity';
  search: BisectSearch | PlanSearch;
  baseOverrides: Override[];
  limits?: Partial<WorkLimits>;
}

/** One probe the search asks for: a key (its identity) and the overrides that set it. */
export interface Candidate {
  key: string;
  overrides: Override[];
  /** Bisection: the value (full precision) and its text. */
  value?: number;
  text?: string;
}

/** What a probe found, over every seed; kept by key (the wave state holds these). */
export interface ProbeData {
  key: string;
  pass: boolean;
  seedsPassed: number;
  seeds: SeedFigures[];
  meanCostUsd: number;
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

export function capacityStudy(
  o: Omit<CapacityOptions, 'jobs' | 'onProbe' | 'path' | 'range' | 'maximize' | 'relativeTolerance'> & {
    search: BisectSearch | PlanSearch;
  },
): CapacityStudy {
  if (o.search.kind === 'bisect') parseRange(o.search.range); // a bad range fails before anything runs
  return {
    command: 'capacity',
    scenario: o.file,
    scenarioSha256: fileSha256(o.file),
    seeds: o.seeds,
    search: o.search,
    baseOverrides: o.baseOverrides,
    ...(o.limits ? { limits: o.limits } : {}),
  };
}

/** The next probe the study's search needs, given pass/fail per known key (null: done). */
export function nextProbe(study: CapacityStudy): NextProbe<Candidate> {
  return study.search.kind === 'bisect' ? bisectNext(study.search) : planNext(study.search);
}

function bisectNext(s: BisectSearch): NextProbe<Candidate> {
  const { lo, hi, unit, integer } = parseRange(s.range);
  const candidate = (value: number): Candidate => {
    const text = `${integer ? Math.round(value) : Number(value.toPrecision(6))}${unit}`;
    return { key: text, value, text, overrides: [{ path: s.path, value: unit ? text : Number(text) }] };
  };
  return (known) => {
    // good: the end of the range expected to pass; bad: the end expected to fail.
    let good = s.maximize ? lo : hi;
    let bad = s.maximize ? hi : lo;
    const ask = (value: number): Candidate | boolean => {
      const c = candidate(value);
      return known.get(c.key) ?? c;
    };
    const g = ask(good);
    if (g !== true) return g === false ? null : g;
    const b = ask(bad);
    if (b !== false) return b === true ? null : b; // the whole range passes
    const done = () =>
      integer
        ? Math.abs(good - bad) <= 1
        : Math.abs(good - bad) <= s.relativeTolerance * Math.max(Math.abs(good), Math.abs(bad));
    while (!done()) {
      const mid = integer ? Math.floor((good + bad) / 2) : (good + bad) / 2;
      const m = ask(mid);
      if (typeof m !== 'boolean') return m;
      if (m) good = mid;
      else bad = mid;
    }
    return null;
  };
}

/** The runs of one probe: one per seed. */
export function probeJobs(study: CapacityStudy, c: Candidate): CompareJob[] {
  return study.seeds.map((seed) => ({
    file: study.scenario,
    overrides: [...study.baseOverrides, ...c.overrides],
    limits: study.limits,
    seed,
    entry: 0,
    ...(study.search.kind === 'plan' ? { keepMargin: true } : {}),
  }));
}

/** A probe's verdict from its seeds' figures. */
export function probeData(study: CapacityStudy, key: string, seeds: SeedFigures[]): ProbeData {
  if (seeds[0]!.slosTotal === 0 && seeds[0]!.recovery === null) {
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${study.scenario}: capacity needs SLOs (or a recovery verdict) to meet: add slos to the scenario or pass --target`,
    );
  }
  const seedsPassed = seeds.filter((s) => s.pass).length;
  return {
    key,
    pass: seedsPassed === seeds.length,
    seedsPassed,
    seeds,
    meanCostUsd: seeds.reduce((a, s) => a + s.costUsd, 0) / seeds.length,
  };
}

/** A bisection probe as results show it. */
export function probeOf(c: Candidate, d: ProbeData): Probe {
  return {
    value: c.value!,
    text: c.text!,
    pass: d.pass,
    seedsPassed: d.seedsPassed,
    seeds: d.seeds,
    meanCostUsd: d.meanCostUsd,
  };
}

/**
 * The result once the search has what it needs (null while it needs more): the probes it asked
 * for, in order, from the probes known by key.
 */
export function capacityResult(
  study: CapacityStudy,
  known: ReadonlyMap<string, ProbeData>,
): CapacityResult | CapacityPlanResult | null {
  const passes = new Map([...known].map(([k, d]) => [k, d.pass]));
  const { asked, done } = replay(nextProbe(study), passes);
  if (!done) return null;
  if (study.search.kind === 'plan')
    return planResult(
      study,
      study.search,
      asked.map((c) => known.get(c.key)!),
    );
  const probes = asked.map((c) => probeOf(c, known.get(c.key)!));
  // The answer is the last passing probe: every later probe moved the bracket past a failure.
  const best = [...probes].reverse().find((p) => p.pass) ?? null;
  return {
    schema: 'floodgate/capacity-result@1',
    scenario: study.scenario,
    path: study.search.path,
    maximize: study.search.maximize,
    value: best ? best.value : null,
    text: best ? best.text : null,
    costUsd: best ? best.meanCostUsd : null,
    probes,
  };
}

/** Runs a capacity study here, one probe at a time; `onProbe` hears each as it finishes. */
/**
 * The most probes the search can still need after `asked` probes: a bisection halves its bracket
 * each probe (a real-valued one until the relative tolerance, at most 64 halvings); a plan at
 * most runs its whole grid. For a progress estimate (an upper bound).
 */
export function maxProbes(study: CapacityStudy): number {
  const s = study.search;
  if (s.kind === 'plan') return s.params.reduce((a, p) => a * p.options.length, 1);
  const { lo, hi, integer } = parseRange(s.range);
  // The bracket stops at tolerance x max(|good|, |bad|), at least tolerance x lo.
  const floor = s.relativeTolerance * lo;
  const halvings = integer
    ? Math.ceil(Math.log2(Math.max(1, hi - lo)))
    : floor > 0
      ? Math.min(64, Math.ceil(Math.log2((hi - lo) / floor)))
      : 64;
  return 2 + Math.max(0, halvings);
}

/**
 * Runs a capacity study here, one probe at a time; `onProbe` hears each as it finishes and
 * `onProgress` each run, with an upper bound on the runs the search can take.
 */
export async function runCapacityStudy(
  study: CapacityStudy,
  jobs: number,
  onProbe?: (c: Candidate, d: ProbeData) => void,
  onProgress?: (done: number, bound: number) => void,
): Promise<CapacityResult | CapacityPlanResult> {
  const next = nextProbe(study);
  const known = new Map<string, ProbeData>();
  const passes = new Map<string, boolean>();
  const bound = maxProbes(study) * study.seeds.length;
  let runs = 0;
  for (let c = next(passes); c; c = next(passes)) {
    const before = runs;
    const figures = await runJobs(probeJobs(study, c), jobs, (done) => {
      runs = before + done;
      onProgress?.(runs, Math.max(bound, runs));
    });
    const d = probeData(study, c.key, figures);
    known.set(c.key, d);
    passes.set(c.key, d.pass);
    onProbe?.(c, d);
  }
  return capacityResult(study, known)!;
}

export async function capacity(o: CapacityOptions): Promise<CapacityResult> {
  const study = capacityStudy({
    ...o,
    search: {
      kind: 'bisect',
      path: o.path,
      range: o.range,
      maximize: o.maximize,
      relativeTolerance: o.relativeTolerance,
    },
  });
  return (await runCapacityStudy(study, o.jobs, (c, d) => o.onProbe?.(probeOf(c, d)))) as CapacityResult;
}
