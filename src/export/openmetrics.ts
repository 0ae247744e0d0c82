/**
 * The run's time series as OpenMetrics text with timestamps, for backfilling into Prometheus
 * (`promtool tsdb create-blocks-from openmetrics FILE DIR`) and plotting in Grafana beside
 * production metrics.
 *
 * What the OpenMetrics 1.0 text format asks, and how this file meets it:
 * - each metric family once, its lines contiguous, with `# TYPE`, `# UNIT` (when it has one: the
 *   family name then ends in `_<unit>`) and `# HELP` before its samples;
 * - counters are cumulative and their samples are named `<family>_total`; each starts with a 0 at
 *   the run's start so `rate()` sees the first window;
 * - timestamps are seconds (Unix epoch, millisecond precision), increasing within each series:
 *   a window's sample is stamped at the window's end, its counts then complete;
 * - label values escaped (`\\`, `\"`, `\n`); every series carries `scenario` and `seed`, so runs
 *   of several seeds or scenarios live side by side in one database;
 * - windows without a value (a percentile with no completions) are left out, not written as NaN;
 * - the text ends with `# EOF`.
 *
 * Simulated time 0 is placed at `startUnixMs` (default 0, the Unix epoch, so the same run gives
 * the same bytes); `floodgate run --openmetrics-start` moves it, e.g. to an incident's time.
 *
 * Example:
 *   # TYPE floodgate_offered_requests counter
 *   # HELP floodgate_offered_requests Requests that arrived at the gateway.
 *   floodgate_offered_requests_total{scenario="quickstart",seed="42",class="tab"} 0 0.000
 *   floodgate_offered_requests_total{scenario="quickstart",seed="42",class="tab"} 31 1.000
 */
import type { RunResult, TimeSeriesBlock } from '../metrics/result-types.ts';

type Values = readonly (number | null)[];

interface MetricSeries {
  labels: [string, string][];
  values: Values;
}

interface Family {
  /** Without `_total` for counters; ends in `_<unit>` when `unit` is set. */
  name: string;
  type: 'counter' | 'gauge';
  unit?: string;
  help: string;
  series: MetricSeries[];
  /** Multiplies every value (ms -> seconds). */
  scale?: number;
}

export interface OpenMetricsOptions {
  /** Unix time (ms) that simulated time 0 is placed at; default 0. */
  startUnixMs?: number;
}

/** Escapes a label value (OpenMetrics: backslash, double quote, line feed). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const OUTCOMES: [string, keyof TimeSeriesBlock][] = [
  ['shed', 'shed'],
  ['rate_limited', 'rateLimited'],
  ['failed', 'failed'],
  ['timed_out', 'timedOut'],
  ['abandoned', 'abandoned'],
  ['cancelled', 'cancelled'],
];

/** The metric families of a run, in the order they are written (docs/guide/exports.md lists them). */
export function metricFamilies(r: RunResult): Family[] {
  const ts = r.timeseries;
  const classes = Object.entries(ts.classes);
  const providers = Object.entries(ts.providers);
  const perClass = (pick: (c: TimeSeriesBlock['classes'][string]) => Values): MetricSeries[] =>
    classes.map(([name, c]) => ({ labels: [['class', name]], values: pick(c) }));
  const perProvider = (pick: (p: TimeSeriesBlock['providers'][string]) => Values | undefined) =>
    providers.flatMap(([name, p]): MetricSeries[] => {
      const values = pick(p);
      return values ? [{ labels: [['provider', name]], values }] : [];
    });
  const one = (values: Values): MetricSeries[] => [{ labels: [], values }];
  const families: Family[] = [
    {
      name: 'floodgate_offered_requests',
      type: 'counter',
      help: 'Requests that arrived at the gateway, per class.',
      series: perClass((c) => c.offered),
    },
    {
      name: 'floodgate_completed_requests',
      type: 'counter',
      help: 'Requests answered successfully, per class.',
      series: perClass((c) => c.completed),
    },
    {
      name: 'floodgate_goodput_requests',
      type: 'counter',
      help: "Requests answered within their class's per-request targets (goodput), per class.",
      series: perClass((c) => c.goodput),
    },
    {
      name: 'floodgate_admitted_requests',
      type: 'counter',
      help: 'Tries the gateway admitted.',
      series: one(ts.admitted),
    },
    {
      name: 'floodgate_unsuccessful_requests',
      type: 'counter',
      help: 'Requests that ended without an answer, by terminal outcome.',
      series: OUTCOMES.map(([outcome, key]) => ({
        labels: [['outcome', outcome]],
        values: ts[key] as Values,
      })),
    },
    {
      name: 'floodgate_attempts',
      type: 'counter',
      help: 'Attempts sent to providers (first tries, retries and hedges).',
      series: one(ts.attempts),
    },
    {
      name: 'floodgate_cost_usd',
      type: 'counter',
      unit: 'usd',
      help: 'Token-billed cost of attempts, in US dollars.',
      series: one(ts.costUsd),
    },
    {
      name: 'floodgate_provider_attempts',
      type: 'counter',
      help: 'Attempts started per provider.',
      series: perProvider((p) => p.attempts),
    },
    {
      name: 'floodgate_provider_errors',
      type: 'counter',
      help: 'Attempts that failed per provider (errors, 429s, timeouts).',
      series: perProvider((p) => p.errors),
    },
    {
      name: 'floodgate_gateway_in_flight_requests',
      type: 'gauge',
      help: 'Requests the gateway was serving at the end of the window.',
      series: one(ts.gatewayInFlight),
    },
    {
      name: 'floodgate_gateway_queued_requests',
      type: 'gauge',
      help: "Requests waiting in the gateway's queue at the end of the window.",
      series: one(ts.gatewayQueued),
    },
    {
      name: 'floodgate_live_requests',
      type: 'gauge',
      help: 'Requests the clients were waiting for (tries and backoffs) at the end of the window.',
      series: one(ts.liveRequests),
    },
    {
      name: 'floodgate_sessions_in_progress',
      type: 'gauge',
      help: 'Agent sessions in progress at the end of the window.',
      series: one(ts.sessionsInProgress),
    },
    {
      name: 'floodgate_provider_in_service_requests',
      type: 'gauge',
      help: 'Attempts in service per provider at the end of the window.',
      series: perProvider((p) => p.inService),
    },
    {
      name: 'floodgate_provider_queued_requests',
      type: 'gauge',
      help: "Attempts waiting in the provider's own queue at the end of the window.",
      series: perProvider((p) => p.queued),
    },
    {
      name: 'floodgate_provider_kv_usage_ratio',
      type: 'gauge',
      unit: 'ratio',
      help: 'Mean KV-cache use over the replicas of a self-hosted pool.',
      series: perProvider((p) => p.kvUsage),
    },
  ];
  for (const [key, what, pick] of [
    ['ttft_p50', 'Median time to first token', (c) => c.ttftP50],
    ['ttft_p99', '99th percentile time to first token', (c) => c.ttftP99],
    ['e2e_p50', 'Median end-to-end latency', (c) => c.e2eP50],
    ['e2e_p99', '99th percentile end-to-end latency', (c) => c.e2eP99],
  ] as [string, string, (c: TimeSeriesBlock['classes'][string]) => Values][])
    families.push({
      name: `floodgate_${key}_seconds`,
      type: 'gauge',
      unit: 'seconds',
      help: `${what} of the requests completed in the window, per class.`,
      series: perClass(pick),
      scale: 1 / 1000,
    });
  return families.filter((f) => f.series.length > 0);
}

/** Seconds since the epoch with millisecond precision, e.g. 1767225600.250. */
function timestamp(unixMs: number): string {
  return (Math.round(unixMs) / 1000).toFixed(3);
}

/** A sample value: integers as written, other numbers to 9 significant digits. */
function value(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(9)));
}

/** The run's time series as OpenMetrics text (see the file comment). */
export function runOpenMetrics(r: RunResult, options: OpenMetricsOptions = {}): string {
  const base = options.startUnixMs ?? 0;
  const ts = r.timeseries;
  const common: [string, string][] = [
    ['scenario', r.scenario.name],
    ['seed', String(r.seed)],
  ];
  const out: string[] = [];
  for (const f of metricFamilies(r)) {
    out.push(`# TYPE ${f.name} ${f.type}`);
    if (f.unit) out.push(`# UNIT ${f.name} ${f.unit}`);
    out.push(`# HELP ${f.name} ${f.help}`);
    const sample = f.type === 'counter' ? `${f.name}_total` : f.name;
    for (const s of f.series) {
      const labels = [...common, ...s.labels].map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
      const head = `${sample}{${labels}} `;
      if (f.type === 'counter') {
        let total = 0;
        out.push(`${head}0 ${timestamp(base)}`);
        for (let i = 0; i < ts.startMs.length; i++) {
          total += s.values[i] ?? 0;
          out.push(`${head}${value(total)} ${timestamp(base + ts.startMs[i]! + ts.intervalMs)}`);
        }
      } else {
        const scale = f.scale ?? 1;
        for (let i = 0; i < ts.startMs.length; i++) {
          const v = s.values[i];
          if (v === null || v === undefined || !Number.isFinite(v)) continue;
          out.push(`${head}${value(v * scale)} ${timestamp(base + ts.startMs[i]! + ts.intervalMs)}`);
        }
      }
    }
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}
