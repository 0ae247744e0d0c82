/**
 * compare: every policy entry on the same seeds (common random numbers), in parallel worker
 * threads, summarised per entry with 95% confidence intervals, ranked by an objective, with
 * paired significance against the leader. The result holds every per-seed figure, so the table
 * can be recomputed from the JSON.
 */

import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LuckMode } from '../engine/luck.ts';
import { type ErrorCode, FloodgateError } from '../errors.ts';
import type { PolicyKind } from '../gateway/policy.ts';
import type { WorkLimits } from '../scenario/budget.ts';
import type { Override } from '../scenario/overrides.ts';
import { didYouMean } from '../scenario/suggest.ts';
import { builtinPolicyNames, isPolicyPath, loadPolicyModule } from '../simulator/policy-loader.ts';
import { dominatedBy } from './frontier.ts';
import { type CompareJob, runJob, type SeedFigures } from './job.ts';
import type { PolicyEntry } from './policy-spec.ts';
import { type Estimate, estimate, pairedDifference } from './stats.ts';
import { fileSha256, type StudyBase } from './study.ts';

export const COMPARE_RESULT_SCHEMA = 'floodgate/compare-result@1';

/** What to rank on: the figure and whether higher is better. */
export const OBJECTIVES = {
  goodput: { figure: 'goodputShare', higherIsBetter: true },
  'ttft-p99': { figure: 'ttftP99', higherIsBetter: false },
  cost: { figure: 'costUsd', higherIsBetter: false },
  errors: { figure: 'errorShare', higherIsBetter: false },
  shed: { figure: 'shedShare', higherIsBetter: false },
  amplification: { figure: 'amplification', higherIsBetter: false },
  /** Share of seeds whose recovery verdict passed. */
  recovery: { figure: 'recovered', higherIsBetter: true },
} as const;
export type Objective = keyof typeof OBJECTIVES;

export type Figure =
  | 'goodputShare'
  | 'goodputPerSec'
  | 'shedShare'
  | 'errorShare'
  | 'amplification'
  | 'costUsd'
  | 'ttftP50'
  | 'ttftP99'
  | 'slosPassed'
  | 'recovered'
  | 'recoveredAfterMs'
  /** Only when a run bills a fleet (summary.fleetCostUsd is absent otherwise). */
  | 'fleetCostUsd';
const FIGURES: Figure[] = [
  'goodputShare',
  'goodputPerSec',
  'shedShare',
  'errorShare',
  'amplification',
  'costUsd',
  'ttftP50',
  'ttftP99',
  'slosPassed',
  'recovered',
  'recoveredAfterMs',
];

export interface EntryResult {
  label: string;
  overrides: Override[];
  seeds: SeedFigures[];
  /** Every figure but fleetCostUsd, which is there only when a seed billed a fleet. */
  summary: Record<Exclude<Figure, 'fleetCostUsd'>, Estimate> & { fleetCostUsd?: Estimate };
  classes: Record<
    string,
    { ttftP50: Estimate; ttftP99: Estimate; goodputShare: Estimate; acceptableShare?: Estimate }
  >;
  /** With a scenario `quality` section: its figures over seeds. */
  quality?: EntryQuality;
  /** With prefix caching in any pool: the token hit rate over seeds (SeedFigures.tokenHitRate). */
  tokenHitRate?: Estimate;
  slosTotal: number;
  rank: number;
  /** Paired difference of the objective against the leader (rank 1); undefined for the leader. */
  vsLeader: (Estimate & { significant: boolean }) | undefined;
}

export interface EntryQuality {
  acceptableShare: Estimate;
  qualityGoodputShare: Estimate;
  /** Token cost per acceptable answer (USD). */
  costPerAcceptableUsd: Estimate;
}

/**
 * The Pareto frontier of the entries (with a scenario `quality` section), on their means over
 * seeds: cost (tokens + fleet) lower, acceptable share higher, p99 TTFT lower.
 */
export interface CompareFrontier {
  criteria: ['costUsd', 'acceptableShare', 'ttftP99'];
  /** In rank order: each entry, whether it is on the frontier, and the entries that dominate it. */
  entries: { label: string; onFrontier: boolean; dominatedBy: string[] }[];
  /** The cost-quality frontier (cost and acceptable share only), cheapest first. */
  costQuality: string[];
}

export interface CompareResult {
  schema: typeof COMPARE_RESULT_SCHEMA;
  scenario: string;
  seeds: number[];
  objective: Objective;
  /** Whose luck the runs' attempts met (SimulateOptions.luck), when not the default `arrival`. */
  luck?: 'request';
  /** Entries in rank order. */
  entries: EntryResult[];
  /** With a scenario `quality` section: which entries no other beats on cost, quality and latency. */
  frontier?: CompareFrontier;
  /**
   * Ranked by cost: the cheapest entry (by mean cost, tokens + fleet) whose runs passed
   * every SLO (and the recovery verdict, if any) on every seed; null when none did.
   */
  cheapestPassing?: string | null;
}

export interface CompareOptions {
  file: string;
  entries: PolicyEntry[];
  seeds: number[];
  jobs: number;
  objective: Objective;
  baseOverrides: Override[];
  limits?: Partial<WorkLimits>;
  /** Whose luck every run's attempts meet (SimulateOptions.luck; default arrival). */
  luck?: LuckMode;
  onProgress?: (done: number, total: number) => void;
}

/** Which gateway slot each policy of an entry fills, as overrides of the scenario. */
export async function entryOverrides(entry: PolicyEntry, baseDir: string): Promise<Override[]> {
  const seen = new Set<PolicyKind>();
  const out: Override[] = [];
  for (const call of entry.calls) {
    const kind = await kindOf(call.policy, baseDir, entry.label);
    if (seen.has(kind))
      throw new FloodgateError(
        'FG_OVERRIDE_INVALID',
        `--policies: '${entry.label}' names two ${kind} policies`,
      );
    seen.add(kind);
    const policy =
      isPolicyPath(call.policy) && !isAbsolute(call.policy) ? resolve(baseDir, call.policy) : call.policy;
    out.push({ path: `gateway.${kind}`, value: { policy, params: call.params } });
  }
  return [...out, ...(entry.settings ?? [])];
}

async function kindOf(name: string, baseDir: string, label: string): Promise<PolicyKind> {
  if (isPolicyPath(name)) {
    const file = isAbsolute(name) ? name : resolve(baseDir, name);
    return (await loadPolicyModule(file, `--policies: '${label}'`)).kind;
  }
  for (const kind of ['routing', 'admission', 'health'] as const)
    if (builtinPolicyNames(kind).includes(name)) return kind;
  const all = [
    ...builtinPolicyNames('routing'),
    ...builtinPolicyNames('admission'),
    ...builtinPolicyNames('health'),
  ];
  throw new FloodgateError(
    'FG_UNKNOWN_POLICY',
    `--policies: '${label}': expected a policy (${all.join(', ')}) or a module path, got '${name}'${didYouMean(name, all)}`,
  );
}

/** A comparison before it runs: everything its result is assembled from (a shard's part carries it). */
export interface CompareStudy extends StudyBase {
  command: 'compare';
  objective: Objective;
  /** Each entry's label and the overrides that set its policies. */
  entries: { label: string; overrides: Override[] }[];
  baseOverrides: Override[];
  limits?: Partial<WorkLimits>;
  /** Given when not the default (`arrival`). */
  luck?: 'request';
}

export async function planCompare(o: Omit<CompareOptions, 'jobs'>): Promise<CompareStudy> {
  const baseDir = dirname(resolve(o.file));
  const perEntry = await Promise.all(o.entries.map((e) => entryOverrides(e, baseDir)));
  return {
    command: 'compare',
    scenario: o.file,
    scenarioSha256: fileSha256(o.file),
    seeds: o.seeds,
    objective: o.objective,
    entries: o.entries.map((e, i) => ({ label: e.label, overrides: perEntry[i]! })),
    baseOverrides: o.baseOverrides,
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.luck === 'request' ? { luck: o.luck } : {}),
  };
}

/** The study's runs in order: every seed of entry 0, then of entry 1, ... */
export function compareJobs(study: CompareStudy): CompareJob[] {
  return study.entries.flatMap((e, entry) =>
    study.seeds.map((seed, k) => ({
      file: resolve(study.scenario),
      overrides: [...study.baseOverrides, ...e.overrides],
      limits: study.limits,
      seed,
      entry,
      keepSeries: k === 0,
      ...(study.luck ? { luck: study.luck } : {}),
    })),
  );
}

/** The comparison from the figures of every run of compareJobs(study), in that order. */
export function assembleCompare(study: CompareStudy, figures: readonly SeedFigures[]): CompareResult {
  const jobs = compareJobs(study);
  const results = study.entries.map((e, i) =>
    summarize(
      e.label,
      e.overrides,
      jobs.flatMap((j, k) => (j.entry === i ? [figures[k]!] : [])),
    ),
  );
  const entries = rank(results, study.objective);
  const frontier = entries.every((e) => e.quality) ? frontierOf(entries) : undefined;
  const byCost = study.objective === 'cost';
  return {
    schema: COMPARE_RESULT_SCHEMA,
    scenario: study.scenario,
    seeds: study.seeds,
    objective: study.objective,
    ...(study.luck ? { luck: study.luck } : {}),
    entries,
    ...(frontier ? { frontier } : {}),
    ...(byCost ? { cheapestPassing: entries.find((e) => e.seeds.every((s) => s.pass))?.label ?? null } : {}),
  };
}

/** The entries' Pareto frontier on mean cost, acceptable share and p99 TTFT (see CompareFrontier). */
export function frontierOf(entries: readonly EntryResult[]): CompareFrontier {
  const cost = (e: EntryResult) => e.summary.costUsd.mean;
  const acceptable = (e: EntryResult) => e.quality?.acceptableShare.mean ?? Number.NaN;
  const all = dominatedBy(entries.map((e) => [cost(e), -acceptable(e), e.summary.ttftP99.mean]));
  const two = dominatedBy(entries.map((e) => [cost(e), -acceptable(e)]));
  const costQuality = entries
    .filter((_, i) => two[i]!.length === 0)
    .sort((a, b) => cost(a) - cost(b) || acceptable(a) - acceptable(b));
  return {
    criteria: ['costUsd', 'acceptableShare', 'ttftP99'],
    entries: entries.map((e, i) => ({
      label: e.label,
      onFrontier: all[i]!.length === 0,
      dominatedBy: all[i]!.map((j) => entries[j]!.label),
    })),
    costQuality: costQuality.map((e) => e.label),
  };
}

export async function compare(o: CompareOptions): Promise<CompareResult> {
  const study = await planCompare(o);
  return assembleCompare(study, await runJobs(compareJobs(study), o.jobs, o.onProgress));
}

/** One figure of one seed; NaN where it does not apply (no recovery block, no completions). */
export function figureOf(s: SeedFigures, f: Figure): number {
  if (f === 'recovered') return s.recovery ? Number(s.recovery.pass) : Number.NaN;
  if (f === 'recoveredAfterMs') return s.recovery?.recoveredAfterMs ?? Number.NaN;
  if (f === 'fleetCostUsd') return s.fleetCostUsd ?? 0; // no fleet billed
  return s[f] ?? Number.NaN;
}

function summarize(label: string, overrides: Override[], seeds: SeedFigures[]): EntryResult {
  const billed = seeds.some((s) => s.fleetCostUsd !== undefined);
  const summary = Object.fromEntries(
    [...FIGURES, ...(billed ? (['fleetCostUsd'] as const) : [])].map((f) => [
      f,
      estimate(seeds.map((s) => figureOf(s, f))),
    ]),
  ) as EntryResult['summary'];
  const classNames = Object.keys(seeds[0]?.classes ?? {});
  const classes = Object.fromEntries(
    classNames.map((c) => [
      c,
      {
        ttftP50: estimate(seeds.map((s) => s.classes[c]?.ttftP50 ?? Number.NaN)),
        ttftP99: estimate(seeds.map((s) => s.classes[c]?.ttftP99 ?? Number.NaN)),
        goodputShare: estimate(seeds.map((s) => s.classes[c]?.goodputShare ?? Number.NaN)),
        ...(seeds[0]?.classes[c]?.acceptableShare !== undefined
          ? { acceptableShare: estimate(seeds.map((s) => s.classes[c]?.acceptableShare ?? Number.NaN)) }
          : {}),
      },
    ]),
  );
  const quality = seeds[0]?.quality
    ? {
        acceptableShare: estimate(seeds.map((s) => s.quality?.acceptableShare ?? Number.NaN)),
        qualityGoodputShare: estimate(seeds.map((s) => s.quality?.qualityGoodputShare ?? Number.NaN)),
        costPerAcceptableUsd: estimate(seeds.map((s) => s.quality?.costPerAcceptableUsd ?? Number.NaN)),
      }
    : undefined;
  const hitRate = seeds.some((s) => s.tokenHitRate !== undefined)
    ? estimate(seeds.map((s) => s.tokenHitRate ?? Number.NaN))
    : undefined;
  return {
    label,
    overrides,
    seeds,
    summary,
    classes,
    ...(quality ? { quality } : {}),
    ...(hitRate ? { tokenHitRate: hitRate } : {}),
    slosTotal: seeds[0]?.slosTotal ?? 0,
    rank: 0,
    vsLeader: undefined,
  };
}

/** Ranks by the objective's mean (then p99 TTFT), and tests each entry against the leader. */
function rank(entries: EntryResult[], objective: Objective): EntryResult[] {
  const { figure, higherIsBetter } = OBJECTIVES[objective];
  const key = (e: EntryResult) => {
    const m = e.summary[figure as Figure]?.mean ?? Number.NaN;
    return Number.isFinite(m) ? (higherIsBetter ? -m : m) : Number.POSITIVE_INFINITY;
  };
  const tie = (e: EntryResult) =>
    Number.isFinite(e.summary.ttftP99.mean) ? e.summary.ttftP99.mean : Number.POSITIVE_INFINITY;
  const sorted = [...entries].sort((a, b) => key(a) - key(b) || tie(a) - tie(b));
  const leader = sorted[0]!;
  const values = (e: EntryResult) => e.seeds.map((s) => figureOf(s, figure));
  return sorted.map((e, i) => ({
    ...e,
    rank: i + 1,
    vsLeader: i === 0 ? undefined : pairedDifference(values(e), values(leader)),
  }));
}

/** Runs jobs on `parallel` worker threads (in-process when 1 or when no bundled worker exists). */
export async function runJobs(
  jobs: CompareJob[],
  parallel: number,
  onProgress?: (done: number, total: number) => void,
): Promise<SeedFigures[]> {
  const results: SeedFigures[] = new Array(jobs.length);
  let done = 0;
  const workerFile = fileURLToPath(new URL('./compare-worker.js', import.meta.url));
  if (parallel <= 1 || !existsSync(workerFile)) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await runJob(jobs[i]!);
      onProgress?.(++done, jobs.length);
    }
    return results;
  }
  let next = 0;
  const workers = Array.from({ length: Math.min(parallel, jobs.length) }, () => new Worker(workerFile));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolveWorker, reject) => {
            const send = () => {
              if (next >= jobs.length) return resolveWorker();
              const id = next++;
              w.postMessage({ id, job: jobs[id] });
            };
            w.on(
              'message',
              (msg: {
                id: number;
                figures?: SeedFigures;
                error?: { message: string; code?: ErrorCode; stack?: string };
              }) => {
                if (msg.error) {
                  const err = msg.error.code
                    ? new FloodgateError(msg.error.code, msg.error.message)
                    : Object.assign(new Error(msg.error.message), { stack: msg.error.stack });
                  reject(err);
                  return;
                }
                results[msg.id] = msg.figures!;
                onProgress?.(++done, jobs.length);
                send();
              },
            );
            w.on('error', reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

/** Default parallelism: the machine's cores. */
export function defaultJobs(): number {
  return Math.max(1, cpus().length);
}
