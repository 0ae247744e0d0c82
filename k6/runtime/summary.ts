/**
 * handleSummary: k6's end-of-test data -> the normalized `floodgate/k6-summary@1` JSON that
 * `floodgate observe` reads (src/k6/summary-schema.ts documents every field), plus a compact
 * text summary for stdout, after k6's standard one when the script was compiled with
 * `--k6-summary` (standard-summary.ts).
 */

import type { ScriptConfig } from '../../src/k6/script-config.ts';
import {
  K6_SUMMARY_SCHEMA,
  type K6Summary,
  type ObservedClass,
  type ObservedLatency,
  type ObservedSessions,
  type ObservedThreshold,
} from '../../src/k6/summary-schema.ts';
import { table } from '../../src/report/format.ts';
import { escapeLine } from '../../src/text/quote.ts';
import { OUTCOME_SUFFIX, SESSION_SUFFIX } from './metrics.ts';

/** The part of k6's summary data this module reads. */
export interface SummaryData {
  metrics: Record<
    string,
    | { type?: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }
    | undefined
  >;
  state?: { testRunDurationMs?: number; isStdOutTTY?: boolean };
}

export function buildSummary(data: SummaryData, config: ScriptConfig, parallelism: number): K6Summary {
  const classes: Record<string, ObservedClass> = {};
  for (const c of config.classes) {
    classes[c.name] = observed(
      data,
      c.metricPrefix,
      `dropped_iterations{scenario:${c.scenario}}`,
      c.session !== null,
    );
  }
  const thresholds: ObservedThreshold[] = [];
  for (const [metric, m] of Object.entries(data.metrics)) {
    for (const [threshold, t] of Object.entries(m?.thresholds ?? {}))
      thresholds.push({ metric, threshold, pass: t.ok });
  }
  thresholds.sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  const s = config.scenario;
  return {
    schema: K6_SUMMARY_SCHEMA,
    scenario: { ...s },
    mode: config.mode,
    ttftSource: config.mode === 'sse' ? 'first-event' : 'ttfb',
    timeScale: config.timeScale,
    rateScale: config.rateScale,
    parallelism,
    measuredMs: (s.durationMs - s.warmupMs) * config.timeScale,
    testRunDurationMs: data.state?.testRunDurationMs ?? null,
    // This load generator's share of the plan, in whole iterations.
    expectedIterations: Math.round(
      config.classes.reduce((a, c) => a + c.expectedIterations, 0) / parallelism,
    ),
    droppedIterations: count(data, 'dropped_iterations'),
    vus: plannedVus(data, config, parallelism),
    warmupRequests: count(data, 'floodgate_warmup_requests'),
    classes,
    overall: observed(
      data,
      'floodgate',
      'dropped_iterations',
      config.classes.some((c) => c.session !== null),
    ),
    thresholds,
    pass: thresholds.every((t) => t.pass),
  };
}

/** The planned VUs (this generator's share, as k6's execution segments split them) and the peak initialised. */
function plannedVus(data: SummaryData, config: ScriptConfig, parallelism: number): K6Summary['vus'] {
  let preAllocated = 0;
  let max = 0;
  for (const s of Object.values(config.options.scenarios)) {
    preAllocated += s.preAllocatedVUs;
    max += s.maxVUs;
  }
  const peak = data.metrics['vus_max']?.values['max'] ?? data.metrics['vus_max']?.values['value'];
  return {
    preAllocated: Math.ceil(preAllocated / parallelism),
    max: Math.ceil(max / parallelism),
    peak: typeof peak === 'number' && Number.isFinite(peak) ? peak : null,
  };
}

/**
 * What dropped iterations mean. k6 drops an iteration each time an arrival-rate scenario needs a
 * VU it has not initialised yet, whether or not maxVUs is near: so the advice depends on the
 * peak of initialised VUs (vus_max).
 */
export function droppedAdvice(s: K6Summary): string {
  if (s.droppedIterations === 0) return '';
  const v = s.vus;
  if (!v || v.peak === null) return '  (k6 had no free VU when they were due)';
  if (v.peak >= v.max)
    return `  (maxVUs reached: all ${v.max} VUs were busy, so requests took longer than the plan allows; raise maxVUs with --vu-headroom, or look at the system's latency)`;
  if (v.peak > v.preAllocated)
    return `  (preAllocatedVUs too low: k6 initialised VUs mid-run, ${v.preAllocated} pre-allocated, peak ${v.peak}, maxVUs ${v.max} never reached; each iteration due while a VU was being initialised was dropped: raise preAllocatedVUs with --vu-headroom)`;
  return `  (no free VU among the ${v.preAllocated} pre-allocated, peak ${v.peak}: the load generator could not keep up (CPU?); raise --vu-headroom or add load generators)`;
}

function count(data: SummaryData, metric: string): number {
  return data.metrics[metric]?.values['count'] ?? 0;
}

function observed(data: SummaryData, prefix: string, dropped: string, sessions: boolean): ObservedClass {
  const n = (suffix: string) => count(data, `${prefix}_${suffix}`);
  const result: ObservedClass = {
    requests: n('requests'),
    outcomes: {
      ok: n(OUTCOME_SUFFIX.ok),
      rateLimited: n(OUTCOME_SUFFIX.rateLimited),
      quotaExceeded: n(OUTCOME_SUFFIX.quotaExceeded),
      overloaded: n(OUTCOME_SUFFIX.overloaded),
      serverError: n(OUTCOME_SUFFIX.serverError),
      timedOut: n(OUTCOME_SUFFIX.timedOut),
      otherError: n(OUTCOME_SUFFIX.otherError),
      abandoned: n(OUTCOME_SUFFIX.abandoned),
      cancelled: n(OUTCOME_SUFFIX.cancelled),
    },
    attempts: n('attempts'),
    droppedIterations: count(data, dropped),
    ttft: latency(data, `${prefix}_ttft`),
    tpot: latency(data, `${prefix}_tpot`),
    e2e: latency(data, `${prefix}_e2e`),
    itl: latency(data, `${prefix}_itl`),
    inputTokens: n('input_tokens'),
    outputTokens: n('output_tokens'),
    cachedInputTokens: n('cached_tokens'),
    goodput: n('goodput'),
  };
  if (sessions) result.sessions = observedSessions(data, prefix);
  return result;
}

function observedSessions(data: SummaryData, prefix: string): ObservedSessions {
  const n = (suffix: string) => count(data, `${prefix}_${suffix}`);
  const started = n(SESSION_SUFFIX.started);
  const completed = n(SESSION_SUFFIX.completed);
  const aborted = n(SESSION_SUFFIX.aborted);
  const calls = data.metrics[`${prefix}_${SESSION_SUFFIX.calls}`]?.values ?? {};
  const ended = calls['count'] ?? 0;
  return {
    started,
    completed,
    aborted,
    // Never completed nor aborted: k6 interrupted them when gracefulStop (the drain) ran out.
    unfinished: Math.max(0, started - completed - aborted),
    successShare: started > 0 ? Math.round((completed / started) * 1e6) / 1e6 : null,
    duration: latency(data, `${prefix}_${SESSION_SUFFIX.duration}`),
    callsPerSession: ended > 0 && typeof calls['avg'] === 'number' ? round(calls['avg']) : null,
  };
}

function latency(data: SummaryData, metric: string): ObservedLatency {
  const v = data.metrics[metric]?.values ?? {};
  const count = v['count'] ?? 0;
  const get = (...keys: string[]) => {
    if (count === 0) return null;
    for (const k of keys) if (typeof v[k] === 'number' && Number.isFinite(v[k])) return round(v[k]);
    return null;
  };
  return {
    count,
    mean: get('avg'),
    p50: get('p(50)', 'med'),
    p90: get('p(90)'),
    p95: get('p(95)'),
    p99: get('p(99)'),
    max: get('max'),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function vuLine(s: K6Summary): string {
  const v = s.vus;
  if (!v) return '';
  return `VUs ${v.preAllocated} pre-allocated, ${v.max} max, peak ${v.peak ?? '-'}; `;
}

/** The text summary: one line per class, one per session class, dropped iterations, the thresholds. */
export function formatSummary(s: K6Summary): string {
  const ms = (x: number | null) =>
    x === null ? '-' : x < 1000 ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : `${(x / 1000).toFixed(2)} s`;
  const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '-');
  // The cancelled column only when the next keystroke cancelled anything (tab completions).
  const cancels = (s.overall.outcomes.cancelled ?? 0) > 0;
  // Overloads and quota refusals, only when some request ended so (their dialect tells them apart).
  const overloads = (s.overall.outcomes.overloaded ?? 0) > 0;
  const quota = (s.overall.outcomes.quotaExceeded ?? 0) > 0;
  const header = [
    'class',
    'requests',
    'ok',
    '429',
    ...(quota ? ['quota'] : []),
    ...(overloads ? ['overload'] : []),
    '5xx',
    'timeout',
    'other',
    ...(cancels ? ['cancel'] : []),
    'ttft p50',
    'ttft p99',
    'tpot p50',
    'e2e p50',
    'e2e p99',
    'out tok',
  ];
  const row = (name: string, c: ObservedClass) => [
    name,
    String(c.requests),
    pct(c.outcomes.ok, c.requests),
    String(c.outcomes.rateLimited),
    ...(quota ? [String(c.outcomes.quotaExceeded ?? 0)] : []),
    ...(overloads ? [String(c.outcomes.overloaded ?? 0)] : []),
    String(c.outcomes.serverError),
    String(c.outcomes.timedOut),
    String(c.outcomes.otherError + c.outcomes.abandoned),
    ...(cancels ? [pct(c.outcomes.cancelled ?? 0, c.requests)] : []),
    ms(c.ttft.p50),
    ms(c.ttft.p99),
    ms(c.tpot.p50),
    ms(c.e2e.p50),
    ms(c.e2e.p99),
    String(c.outputTokens),
  ];
  // Names are scenario text: printed with control characters escaped, so none reaches the terminal.
  const rows = [header, ...Object.entries(s.classes).map(([k, c]) => row(escapeLine(k), c))];
  if (Object.keys(s.classes).length > 1) rows.push(row('all', s.overall));
  const classTable = table(rows);
  const sessions = Object.entries(s.classes).flatMap(([k, c]) => {
    const x = c.sessions;
    if (!x) return [];
    const calls = x.callsPerSession === null ? '-' : x.callsPerSession.toFixed(1);
    return [
      `sessions ${escapeLine(k)}: started ${x.started}, completed ${x.completed} (${pct(x.completed, x.started)}), aborted ${x.aborted}, unfinished ${x.unfinished}; duration p50 ${ms(x.duration.p50)}, p99 ${ms(x.duration.p99)}; ${calls} calls per session`,
    ];
  });
  const failed = s.thresholds.filter((t) => !t.pass);
  const lines = [
    `floodgate k6  ${escapeLine(s.scenario.name)}  seed ${s.scenario.seed}, mode ${s.mode} (ttft = ${s.ttftSource === 'ttfb' ? 'time to first byte' : 'first content event'}), time x${s.timeScale}, rate x${s.rateScale}`,
    '',
    classTable,
    '',
    ...(sessions.length > 0 ? [...sessions, ''] : []),
    `dropped iterations ${s.droppedIterations}${droppedAdvice(s)}; ${vuLine(s)}warmup requests ${s.warmupRequests} (not summarised)`,
    `thresholds: ${s.thresholds.length - failed.length}/${s.thresholds.length} pass`,
    ...s.thresholds.map((t) => `  ${t.pass ? 'PASS' : 'FAIL'}  ${t.metric}: ${t.threshold}`),
  ];
  return `${lines.join('\n')}\n`;
}
