/**
 * Prediction vs observation: a simulator run-result JSON (`floodgate run --out`) against the
 * summary a generated k6 script wrote (`floodgate/k6-summary@1`), per class and overall, row by
 * row: TTFT and E2E p50/p90/p99, error share, rate-limited share, offered and completed requests
 * per second; the cancelled share when either side has cancelled requests (tab completions); and
 * for agent-session classes the session success share, duration p50/p99 and calls per session,
 * against the run result's `sessions` block. Each row gets the relative difference (observed - predicted) / predicted and a
 * verdict against the tolerance. Pure: the CLI (src/cli/commands/observe.ts) reads the files.
 *
 * Definitions, so both sides mean the same thing:
 * - error share: requests that ended in an error, over requests. Predicted: failed + timed out +
 *   rate-limited + shed (a shed request reaches the client as a 429 or 503). Observed: 429, 5xx,
 *   timeouts and other errors after the client's retries.
 * - throughput: completed requests per second of the measured window (duration - warmup). The
 *   observed figure is per real second, divided by the run's --rate-scale and multiplied by the
 *   number of load generators that shared it, so it is in the scenario's units (--time-scale
 *   changes the window's length, not the rates).
 * - cancelled share: requests the user's next keystroke cancelled (cut in flight, or never sent
 *   within the debounce), over requests, on both sides.
 * - sessions: success share is completed / started (unfinished sessions, still running when the
 *   drain ran out, count against it on both sides); duration is of completed sessions; calls per
 *   session are requests per ended session, retried calls included.
 * - shares within `shareFloor` (1 percentage point) of each other pass whatever their ratio: 0.1%
 *   against 0.2% is noise, not a 100% difference.
 */

import type { LatencySummary } from '../engine/histogram.ts';
import { FloodgateError } from '../errors.ts';
import type { RunResult } from '../metrics/result-types.ts';
import { table } from '../report/format.ts';
import { escapeLine, quoted, shorten } from '../text/quote.ts';
import { type PredictionBlock, TOPOLOGIES, type Topology } from './predict.ts';
import {
  K6_SUMMARY_SCHEMA,
  type K6Summary,
  type ObservedClass,
  type ObservedLatency,
} from './summary-schema.ts';

export const OBSERVE_SCHEMA = 'floodgate/observe@1';

export type Verdict = 'ok' | 'differs' | 'missing' | 'n/a';

export interface ComparisonRow {
  /** A class name, or `all`. */
  scope: string;
  /**
   * `ttft.p50`, `e2e.p99`, `errorShare`, `rateLimitedShare`, `offeredPerSec`, `completedPerSec`,
   * `cancelledShare`, `sessionSuccessShare`, `sessionDuration.p50`, `sessionDuration.p99`,
   * `callsPerSession`.
   */
  metric: string;
  unit: 'ms' | 'share' | 'per-s' | 'count';
  predicted: number | null;
  observed: number | null;
  /** (observed - predicted) / predicted; null when either is missing or predicted is 0. */
  relDiff: number | null;
  verdict: Verdict;
}

export interface Comparison {
  schema: typeof OBSERVE_SCHEMA;
  scenario: string;
  tolerance: number;
  shareFloor: number;
  rows: ComparisonRow[];
  /** Every row within tolerance ('n/a' rows, measured on neither side, do not count). */
  pass: boolean;
  notes: string[];
}

export interface ObserveOptions {
  /** Largest |relative difference| that passes, e.g. 0.2. */
  tolerance: number;
  /** Shares this close (absolute) pass whatever their ratio (default 0.01). */
  shareFloor?: number;
}

const PERCENTILES = ['p50', 'p90', 'p99'] as const;

/** Compares a run result (predicted) with a k6 summary (observed). */
export function compareRun(predicted: RunResult, observed: K6Summary, options: ObserveOptions): Comparison {
  const tolerance = options.tolerance;
  const shareFloor = options.shareFloor ?? 0.01;
  const measuredSec = Math.max(1e-9, (predicted.durationMs - predicted.warmupMs) / 1000);
  // A prediction of a scaled run (floodgate run --rate-scale) has its rates in the run's units:
  // back to the scenario's, as the observed side is.
  const prediction = predictionOf(predicted);
  const predictedPerSec = (n: number) => n / measuredSec / (prediction?.rateScale ?? 1);
  const observedSec = Math.max(1e-9, observed.measuredMs / 1000);
  const perScenarioSec = (n: number) => (n / observedSec) * (observed.parallelism / observed.rateScale);
  const rows: ComparisonRow[] = [];
  const scopes: [string, RunResult['classes'][string] | undefined, ObservedClass | undefined][] = [];
  const names = [...Object.keys(predicted.classes)];
  for (const n of Object.keys(observed.classes)) if (!names.includes(n)) names.push(n);
  for (const n of names) scopes.push([n, predicted.classes[n], observed.classes[n]]);
  scopes.push(['all', predicted, observed.overall]);

  for (const [scope, p, o] of scopes) {
    const row = (metric: string, unit: ComparisonRow['unit'], pv: number | null, ov: number | null) =>
      rows.push(judge(scope, metric, unit, pv, ov, tolerance, shareFloor));
    for (const family of ['ttft', 'e2e'] as const) {
      for (const q of PERCENTILES) {
        row(
          `${family}.${q}`,
          'ms',
          p ? latencyOf(p.latency[family], q) : null,
          o ? observedOf(o[family], q) : null,
        );
      }
    }
    const pr = p?.requests;
    row(
      'errorShare',
      'share',
      pr ? pr.errorShare + pr.shedShare : null,
      o && o.requests > 0 ? errors(o) / o.requests : null,
    );
    row(
      'rateLimitedShare',
      'share',
      pr ? pr.rateLimitedShare : null,
      o && o.requests > 0 ? o.outcomes.rateLimited / o.requests : null,
    );
    row(
      'offeredPerSec',
      'per-s',
      pr ? predictedPerSec(pr.offered) : null,
      o ? perScenarioSec(o.requests) : null,
    );
    row(
      'completedPerSec',
      'per-s',
      pr ? predictedPerSec(pr.completed) : null,
      o ? perScenarioSec(o.outcomes.ok) : null,
    );
    const cancelled = o?.outcomes.cancelled ?? 0;
    if ((pr?.cancelled ?? 0) > 0 || cancelled > 0)
      row(
        'cancelledShare',
        'share',
        pr ? pr.cancelledShare : null,
        o && o.requests > 0 ? cancelled / o.requests : null,
      );
    const ps = p?.sessions;
    const os = o?.sessions;
    if (ps || os) {
      row(
        'sessionSuccessShare',
        'share',
        ps && ps.started > 0 ? ps.successShare : null,
        os?.successShare ?? null,
      );
      for (const q of ['p50', 'p99'] as const)
        row(
          `sessionDuration.${q}`,
          'ms',
          ps ? latencyOf(ps.duration, q) : null,
          os ? observedOf(os.duration, q) : null,
        );
      row(
        'callsPerSession',
        'count',
        ps && ps.completed + ps.aborted > 0 ? ps.callsPerSession : null,
        os?.callsPerSession ?? null,
      );
    }
  }

  const notes: string[] = [];
  if (observed.scenario.name !== predicted.scenario.name)
    notes.push(
      `the summary is of scenario ${quoted(String(observed.scenario.name), 60)}, the run result of ${quoted(predicted.scenario.name, 60)}`,
    );
  if (observed.ttftSource === 'ttfb')
    notes.push(
      'observed TTFT is time to first byte (stock k6): it reads low when the server sends headers before the first token; use --mode sse for exact TTFT',
    );
  if (observed.droppedIterations > 0)
    notes.push(
      `k6 dropped ${observed.droppedIterations} iterations for lack of VUs: the observed load is below the plan`,
    );
  if (prediction) {
    const same = prediction.timeScale === observed.timeScale && prediction.rateScale === observed.rateScale;
    notes.push(
      same
        ? `the prediction is of this run: time x${prediction.timeScale}, rate x${prediction.rateScale}, topology ${prediction.topology}`
        : `the prediction is of a run at time x${prediction.timeScale}, rate x${prediction.rateScale}, but k6 ran at time x${observed.timeScale}, rate x${observed.rateScale}: predict it with floodgate run --time-scale ${observed.timeScale} --rate-scale ${observed.rateScale} --topology ${prediction.topology}`,
    );
  } else if (observed.timeScale !== 1)
    notes.push(
      `the k6 run was time-compressed (x${observed.timeScale}): rates were kept, but queues that build over minutes had less time to build; predict the run itself with floodgate run --time-scale ${observed.timeScale} --rate-scale ${observed.rateScale} --topology direct (k6 to floodgate emulate) or gateway`,
    );
  const unfinished = observed.overall.sessions?.unfinished ?? 0;
  if (unfinished > 0)
    notes.push(
      `k6 stopped ${unfinished} sessions still running at the end (gracefulStop, the drain): they count as unfinished, against the success share`,
    );
  if (observed.parallelism > 1)
    notes.push(
      `this summary is one of ${observed.parallelism} load generators: rates are scaled up by ${observed.parallelism}`,
    );
  const counted = rows.filter((r) => r.verdict !== 'n/a');
  return {
    schema: OBSERVE_SCHEMA,
    scenario: predicted.scenario.name,
    tolerance,
    shareFloor,
    rows,
    pass: counted.every((r) => r.verdict === 'ok'),
    notes,
  };
}

function errors(o: ObservedClass): number {
  const x = o.outcomes;
  // Quota refusals and overloads are errors (the simulator's failed requests), not rate limits.
  return (
    x.rateLimited + (x.quotaExceeded ?? 0) + (x.overloaded ?? 0) + x.serverError + x.timedOut + x.otherError
  );
}

function latencyOf(s: LatencySummary, q: (typeof PERCENTILES)[number]): number | null {
  return s.count > 0 ? s[q] : null;
}

function observedOf(s: ObservedLatency, q: (typeof PERCENTILES)[number]): number | null {
  return s.count > 0 ? s[q] : null;
}

function judge(
  scope: string,
  metric: string,
  unit: ComparisonRow['unit'],
  predicted: number | null,
  observed: number | null,
  tolerance: number,
  shareFloor: number,
): ComparisonRow {
  const round = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);
  const base = { scope, metric, unit, predicted: round(predicted), observed: round(observed) };
  if (predicted === null && observed === null) return { ...base, relDiff: null, verdict: 'n/a' };
  if (predicted === null || observed === null) return { ...base, relDiff: null, verdict: 'missing' };
  const relDiff = predicted !== 0 ? (observed - predicted) / predicted : observed === 0 ? 0 : null;
  const close =
    (relDiff !== null && Math.abs(relDiff) <= tolerance + 1e-12) ||
    (unit === 'share' && Math.abs(observed - predicted) <= shareFloor);
  return { ...base, relDiff: relDiff === null ? null : round(relDiff), verdict: close ? 'ok' : 'differs' };
}

/** `20%` or `0.2` -> 0.2. */
export function parseTolerance(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) throw new Error(`expected a tolerance like 20% or 0.2, got ${quoted(text, 60)}`);
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}

/**
 * The `prediction` block of a run result made with `floodgate run --time-scale/--rate-scale/
 * --topology` (k6/predict.ts); undefined for a run of the scenario as it is. Read defensively:
 * the file is input, so a block of the wrong shape counts as none.
 */
export function predictionOf(r: RunResult): PredictionBlock | undefined {
  const p = (r as RunResult & { prediction?: unknown }).prediction as Partial<PredictionBlock> | undefined;
  if (!p || typeof p !== 'object') return undefined;
  const positive = (x: unknown) => typeof x === 'number' && x > 0 && Number.isFinite(x);
  if (!positive(p.timeScale) || !positive(p.rateScale) || !TOPOLOGIES.includes(p.topology as Topology))
    return undefined;
  return p as PredictionBlock;
}

/** Checks that `json` is a run result (`floodgate run --out`); `file` labels errors. */
export function asRunResult(json: unknown, file: string): RunResult {
  const r = json as Partial<RunResult> | null;
  if (!r || typeof r !== 'object' || r.schema !== 'floodgate/run-result@1' || !r.classes || !r.requests)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${file}: expected a floodgate run result (schema floodgate/run-result@1, from \`floodgate run --out\`), got ${describe(json)}`,
    );
  return r as RunResult;
}

/** Checks that `json` is a k6 summary of a generated script; `file` labels errors. */
export function asK6Summary(json: unknown, file: string): K6Summary {
  const s = json as Partial<K6Summary> | null;
  if (!s || typeof s !== 'object' || s.schema !== K6_SUMMARY_SCHEMA || !s.classes || !s.overall)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${file}: expected a floodgate k6 summary (schema ${K6_SUMMARY_SCHEMA}, written by a script from \`floodgate k6\`), got ${describe(json)}`,
    );
  return { parallelism: 1, ...s } as K6Summary;
}

function describe(json: unknown): string {
  if (json && typeof json === 'object' && 'schema' in json)
    return `schema ${quoted(String(json.schema), 60)}`;
  return json === null || typeof json !== 'object'
    ? shorten(JSON.stringify(json) ?? String(json), 60)
    : 'an object without that schema';
}

/** The comparison as a table, one row per metric, with the notes and a final count. */
export function formatComparison(c: Comparison): string {
  const value = (v: number | null, unit: ComparisonRow['unit']) => {
    if (v === null) return '-';
    if (unit === 'share') return `${(v * 100).toFixed(v < 0.001 && v > 0 ? 3 : 2)}%`;
    if (unit === 'per-s') return `${v.toFixed(v < 10 ? 3 : 2)}/s`;
    if (unit === 'count') return v.toFixed(2);
    return v < 1000 ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : `${(v / 1000).toFixed(3)} s`;
  };
  const diff = (r: ComparisonRow) =>
    r.relDiff === null ? '-' : `${r.relDiff >= 0 ? '+' : ''}${(r.relDiff * 100).toFixed(1)}%`;
  const rows = [
    ['class', 'metric', 'predicted', 'observed', 'diff', 'verdict'],
    // Class and scenario names come from the files compared: printed with control characters escaped.
    ...c.rows.map((r) => [
      escapeLine(r.scope),
      r.metric,
      value(r.predicted, r.unit),
      value(r.observed, r.unit),
      diff(r),
      r.verdict === 'ok' ? 'ok' : r.verdict.toUpperCase(),
    ]),
  ];
  const rowsTable = table(rows, 2);
  const counted = c.rows.filter((r) => r.verdict !== 'n/a');
  const within = counted.filter((r) => r.verdict === 'ok').length;
  return [
    `observe  ${escapeLine(c.scenario)}  predicted (simulator) vs observed (k6), tolerance ${(c.tolerance * 100).toFixed(0)}%`,
    '',
    rowsTable,
    '',
    `${within}/${counted.length} within tolerance${c.pass ? '' : ': reality differs from the prediction'}`,
    ...c.notes.map((n) => `note: ${n}`),
  ].join('\n');
}
