/**
 * Multi-parameter capacity plans: several scenario parameters searched together (replicas, GPU
 * type with its price, batch limits, hosted quotas) for the cheapest configuration that meets the
 * SLOs (and recovers, with a recovery block) on every seed, as Vidur-Search does for one model.
 *
 * A parameter is a range (`providers[0].replicas=2..12`: monotone, more is never worse) or a list
 * of alternatives (`providers[0].gpu=a100-80gb,h100-80gb`, or bundles of values as a YAML list of
 * maps). The search prunes what cannot win:
 * - the last range is bisected for its smallest passing value on each combination of the others
 *   (a chain): larger values only cost more;
 * - an outcome implied by monotonicity is not run: a configuration at least as large as a passing
 *   one (same alternatives, every range >=) passes, and one at most as large as a failing one
 *   fails; so a chain above a known pass, or below a known failure, costs no probe.
 * A range over an autoscaler setting (a path through `autoscaling` or `nodePool`, such as
 * `providers[pool].autoscaling.min=2..6`) is searched as alternatives, every value run: neither
 * premise holds there. A larger minimum (a warm buffer) can cost less, since a smaller one lets a
 * queue build and the HPA overshoot to max; a larger target means fewer replicas, not more.
 * Among the configurations run, the cheapest passing one is the answer (costs: tokens plus fleet,
 * the mean over seeds; an autoscaled pool's fleet cost is what it billed, replica-hours from each
 * request to gone, not replicas x hours). The frontier is every configuration run that no other beats on both cost
 * and SLO margin.
 */
import { parse as parseYaml } from 'yaml';
import { FloodgateError } from '../errors.ts';
import type { Override } from '../scenario/overrides.ts';
import type { Candidate, CapacityStudy, PlanSearch, ProbeData } from './capacity.ts';
import { parseRange } from './capacity.ts';
import type { SeedFigures } from './job.ts';
import { splitTopLevel } from './policy-spec.ts';
import type { NextProbe } from './waves.ts';

export interface PlanOption {
  label: string;
  overrides: Override[];
}

export interface PlanParam {
  name: string;
  /** A range: options in increasing order, more never worse. */
  monotone: boolean;
  options: PlanOption[];
}

/** Most configurations a plan's grid may hold (the search runs far fewer). */
export const MAX_PLAN_GRID = 100_000;

const invalid = (text: string, what: string) =>
  new FloodgateError('FG_OVERRIDE_INVALID', `--param ${text.slice(0, 80)}: ${what}`);

/**
 * `--param PATH=LO..HI` (a whole-number range), `--param PATH=A,B,C` (alternatives, each parsed
 * as YAML) or `--param '[{PATH: V, PATH2: V2}, ...]'` (alternatives that set several values).
 */
export function parseParam(text: string): PlanParam {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    // Keys such as providers[0].gpu hold flow indicators ([ ]): quoted for YAML when unquoted.
    const quotedKeys = trimmed.replace(/([{,]\s*)([^\s"'{},:][^:{},]*?)\s*:(?=\s)/g, '$1"$2":');
    let list: unknown;
    try {
      list = parseYaml(quotedKeys);
    } catch {
      throw invalid(text, 'expected a YAML list of maps such as [{a.b: 1}, {a.b: 2}]');
    }
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((m) => m && typeof m === 'object' && !Array.isArray(m) && Object.keys(m).length > 0)
    )
      throw invalid(text, 'expected a non-empty YAML list of maps of PATH: VALUE');
    const maps = list as Record<string, unknown>[];
    return {
      name: [...new Set(maps.flatMap((m) => Object.keys(m)))].join('+'),
      monotone: false,
      options: maps.map((m) => ({
        label: Object.entries(m)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' '),
        overrides: Object.entries(m).map(([path, value]) => ({ path, value })),
      })),
    };
  }
  const eq = trimmed.indexOf('=');
  if (eq <= 0)
    throw invalid(text, 'expected PATH=LO..HI, PATH=A,B,C or a YAML list of maps [{PATH: VALUE}, ...]');
  const path = trimmed.slice(0, eq).trim();
  const raw = trimmed.slice(eq + 1).trim();
  if (/^[^,]*\.\.[^,]*$/.test(raw)) {
    const { lo, hi, integer } = parseRange(raw);
    if (!integer)
      throw invalid(text, 'a range takes whole numbers, such as 2..12; list other values: PATH=0.5,0.8');
    if (hi - lo + 1 > MAX_PLAN_GRID) throw invalid(text, `at most ${MAX_PLAN_GRID} values`);
    return {
      name: path,
      monotone: !isAutoscalerSetting(path),
      options: Array.from({ length: hi - lo + 1 }, (_, i) => ({
        label: String(lo + i),
        overrides: [{ path, value: lo + i }],
      })),
    };
  }
  const items = splitTopLevel(raw, ',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (items.length === 0) throw invalid(text, 'expected at least one value after =');
  return {
    name: path,
    monotone: false,
    options: items.map((item) => {
      let value: unknown;
      try {
        value = parseYaml(item);
      } catch {
        throw invalid(text, `'${item.slice(0, 40)}' is not valid YAML`);
      }
      return { label: item, overrides: [{ path, value }] };
    }),
  };
}

/** A path through a pool's `autoscaling` or `nodePool` block: neither cost nor SLOs are monotone in it. */
export function isAutoscalerSetting(path: string): boolean {
  return /(^|\.)(autoscaling|nodePool)(\.|\[|$)/.test(path);
}

/** Checks a plan's parameters together. */
export function checkPlan(params: readonly PlanParam[]): void {
  const size = params.reduce((a, p) => a * p.options.length, 1);
  if (size > MAX_PLAN_GRID)
    throw new FloodgateError(
      'FG_OVERRIDE_INVALID',
      `--param: the grid holds ${size} configurations, more than ${MAX_PLAN_GRID}: narrow a range or drop an alternative`,
    );
  const names = params.map((p) => p.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new FloodgateError('FG_OVERRIDE_INVALID', `--param ${twice}: given twice`);
}

type Config = number[];
const keyOf = (c: Config) => c.join(',');
const configOfKey = (key: string): Config => key.split(',').map(Number);

export function candidateOf(search: PlanSearch, c: Config): Candidate {
  return { key: keyOf(c), overrides: c.flatMap((i, p) => search.params[p]!.options[i]!.overrides) };
}

/** Every configuration as {parameter: option label}. */
export function configLabels(search: PlanSearch, key: string): Record<string, string> {
  const c = configOfKey(key);
  return Object.fromEntries(search.params.map((p, i) => [p.name, p.options[c[i]!]!.label]));
}

/** The plan's search: chains in order, each bisected on the last range, implied outcomes skipped. */
export function planNext(search: PlanSearch): NextProbe<Candidate> {
  const params = search.params;
  const last = params.map((p) => p.monotone).lastIndexOf(true);
  // a <= b: the same alternatives, every range at most as large.
  const le = (a: Config, b: Config) => a.every((x, p) => (params[p]!.monotone ? x <= b[p]! : x === b[p]!));
  const chains = grid(params.map((p, i) => (i === last ? 1 : p.options.length)));
  return (known) => {
    const knownConfigs = [...known].map(([k, pass]) => [configOfKey(k), pass] as const);
    const status = (c: Config): boolean | undefined => {
      const direct = known.get(keyOf(c));
      if (direct !== undefined) return direct;
      for (const [k, pass] of knownConfigs) {
        if (pass && le(k, c)) return true;
        if (!pass && le(c, k)) return false;
      }
      return undefined;
    };
    for (const chain of chains) {
      const at = (i: number): Config => chain.map((x, p) => (p === last ? i : x));
      if (last < 0) {
        if (status(chain) === undefined) return candidateOf(search, chain);
        continue;
      }
      // The largest value first: if it fails, the chain has no passing configuration.
      let hi = params[last]!.options.length - 1;
      const top = status(at(hi));
      if (top === undefined) return candidateOf(search, at(hi));
      if (!top) continue;
      let lo = 0;
      const bottom = status(at(lo));
      if (bottom === undefined) return candidateOf(search, at(lo));
      if (bottom) continue;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        const s = status(at(mid));
        if (s === undefined) return candidateOf(search, at(mid));
        if (s) hi = mid;
        else lo = mid;
      }
    }
    return null;
  };
}

/** Every index vector of a grid with these sizes, the first index varying slowest. */
function grid(sizes: readonly number[]): Config[] {
  let out: Config[] = [[]];
  for (const n of sizes) out = out.flatMap((c) => Array.from({ length: n }, (_, i) => [...c, i]));
  return out;
}

export interface PlanProbe {
  config: Record<string, string>;
  key: string;
  pass: boolean;
  seedsPassed: number;
  meanCostUsd: number;
  /** The worst seed's SLO margin (relative slack of the tightest SLO); null without SLOs. */
  sloMargin: number | null;
  seeds: SeedFigures[];
}

export interface FrontierPoint {
  config: Record<string, string>;
  key: string;
  pass: boolean;
  costUsd: number;
  sloMargin: number | null;
}

export interface CapacityPlanResult {
  schema: 'floodgate/capacity-plan@1';
  scenario: string;
  seeds: number[];
  params: { name: string; monotone: boolean; options: string[] }[];
  /** Configurations in the full grid, and how many the search ran. */
  gridSize: number;
  probed: number;
  /** The cheapest configuration run that passed on every seed, or null. */
  answer: FrontierPoint | null;
  /** Configurations no other run beats on both cost (lower) and SLO margin (higher), by cost. */
  frontier: FrontierPoint[];
  /** Every configuration run, in the order the search ran them. */
  probes: PlanProbe[];
}

export function planResult(
  study: CapacityStudy,
  search: PlanSearch,
  asked: readonly ProbeData[],
): CapacityPlanResult {
  const probes: PlanProbe[] = asked.map((d) => {
    const margins = d.seeds.map((s) => s.sloMargin ?? null);
    return {
      config: configLabels(search, d.key),
      key: d.key,
      pass: d.pass,
      seedsPassed: d.seedsPassed,
      meanCostUsd: d.meanCostUsd,
      sloMargin: margins.some((m) => m === null) ? null : Math.min(...(margins as number[])),
      seeds: d.seeds,
    };
  });
  const point = (p: PlanProbe): FrontierPoint => ({
    config: p.config,
    key: p.key,
    pass: p.pass,
    costUsd: p.meanCostUsd,
    sloMargin: p.sloMargin,
  });
  let best: PlanProbe | null = null;
  for (const p of probes) if (p.pass && (best === null || p.meanCostUsd < best.meanCostUsd)) best = p;
  const margin = (p: PlanProbe) => p.sloMargin ?? Number.NEGATIVE_INFINITY;
  const byCost = [...probes].sort((a, b) => a.meanCostUsd - b.meanCostUsd || margin(b) - margin(a));
  const frontier: FrontierPoint[] = [];
  let top = Number.NEGATIVE_INFINITY;
  for (const p of byCost)
    if (frontier.length === 0 || margin(p) > top) {
      frontier.push(point(p));
      top = margin(p);
    }
  return {
    schema: 'floodgate/capacity-plan@1',
    scenario: study.scenario,
    seeds: study.seeds,
    params: search.params.map((p) => ({
      name: p.name,
      monotone: p.monotone,
      options: p.options.map((o) => o.label),
    })),
    gridSize: search.params.reduce((a, p) => a * p.options.length, 1),
    probed: probes.length,
    answer: best ? point(best) : null,
    frontier,
    probes,
  };
}

/** A configuration of a plan's grid and how the search settled it. */
export interface GridOutcome {
  key: string;
  config: Record<string, string>;
  /** Ran: its seeds say; pruned: implied by monotonicity from a run (see the file comment). */
  how: 'run' | 'pruned';
  /** Whether it meets the SLOs; null when nothing run implies an outcome. */
  pass: boolean | null;
  /** Pruned: the run that implies its outcome. */
  impliedBy?: string;
}

/**
 * Every configuration of a plan's grid (in grid order, the first parameter varying slowest), run
 * or pruned, with its outcome; at most `limit` of them (a grid can hold 100 000).
 */
export function gridOutcomes(r: CapacityPlanResult, limit = Number.POSITIVE_INFINITY): GridOutcome[] {
  const sizes = r.params.map((p) => p.options.length);
  const runs = r.probes.map((p) => ({ c: configOfKey(p.key), p }));
  const le = (a: Config, b: Config) => a.every((x, i) => (r.params[i]!.monotone ? x <= b[i]! : x === b[i]!));
  const labels = (c: Config) => Object.fromEntries(r.params.map((p, i) => [p.name, p.options[c[i]!]!]));
  const out: GridOutcome[] = [];
  for (const c of grid(sizes)) {
    if (out.length >= limit) break;
    const key = keyOf(c);
    const run = runs.find((x) => x.p.key === key);
    if (run) {
      out.push({ key, config: run.p.config, how: 'run', pass: run.p.pass });
      continue;
    }
    const pass = runs.find((x) => x.p.pass && le(x.c, c));
    const fail = pass ? undefined : runs.find((x) => !x.p.pass && le(c, x.c));
    const by = pass ?? fail;
    out.push({
      key,
      config: labels(c),
      how: 'pruned',
      pass: by ? by.p.pass : null,
      ...(by ? { impliedBy: by.p.key } : {}),
    });
  }
  return out;
}
