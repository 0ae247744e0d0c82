/**
 * renderRunReport: one run's result (plus the validated scenario it ran, for the fault and spike
 * windows and the "at a glance" section) as a self-contained HTML page. The header, verdicts,
 * story and tables are HTML; the charts are drawn in the browser from the embedded data
 * (`RunReportData`), downsampled so a 24-hour run stays small. Never re-simulates.
 */
import type { LatencySummary } from '../engine/histogram.ts';
import type { TriggerVerdict } from '../metrics/recovery.ts';
import { fleetCostUsd } from '../metrics/result.ts';
import type { RunResult, TimeSeriesBlock } from '../metrics/result-types.ts';
import type { Scenario } from '../scenario/schema.ts';
import { clientScript } from './client-script.ts';
import { disaggregationTable } from './disaggregation-table.ts';
import { type Aggregate, downsample, downsampleFactor, groupSizes } from './downsample.ts';
import {
  fmtAfter,
  fmtCount,
  fmtDuration,
  fmtInt,
  fmtMs,
  fmtPct,
  fmtRate,
  fmtUsd,
  plural,
  sig,
} from './format.ts';
import { bandsOf, glanceChart } from './glance.ts';
import { type Cell, esc, facts, figure, page, table } from './html.ts';
import type { Band, Num, PercentileChart, RefLine, RunReportData, Series, TimeChart } from './model.ts';
import { colorAt, OKABE_ITO, P50_DASH } from './palette.ts';
import { fmtPolicy, glanceTables } from './scenario-tables.ts';
import { fmtSloValue, runStory } from './story.ts';

export interface RunReportOptions {
  /** The `--set` overrides the run used, shown in the header. */
  overrides?: readonly string[];
  /** Most plotted windows per series (default `MAX_POINTS`). */
  maxPoints?: number;
}

const hasData = (xs: readonly Num[]) => xs.some((v) => v !== null && v !== 0);

/** The time charts, downsampled to at most `maxPoints` windows. */
export function timeCharts(r: RunResult, s: Scenario, maxPoints?: number): RunReportData['time'] {
  const ts: TimeSeriesBlock = r.timeseries;
  const n0 = ts.startMs.length;
  const factor = downsampleFactor(n0, maxPoints);
  const sizes = groupSizes(n0, factor);
  const secs = sizes.map((k) => (k * ts.intervalMs) / 1000);
  const ds = (xs: readonly Num[], agg: Aggregate) => downsample(xs, factor, agg);
  const rate = (xs: readonly Num[]) => ds(xs, 'sum').map((v, i) => (v === null ? null : sig(v / secs[i]!)));
  const gauge = (xs: readonly Num[], agg: Aggregate = 'max') =>
    ds(xs, agg).map((v) => (v === null ? null : sig(v)));
  const providers = Object.keys(ts.providers);
  const classes = Object.keys(ts.classes);
  const pColor = (i: number) => colorAt(i + 1);
  const charts: TimeChart[] = [];
  const merged =
    factor > 1
      ? ` Each point covers ${fmtDuration(factor * ts.intervalMs)} (${factor} windows of ${fmtDuration(ts.intervalMs)}): counts become rates, gauges and p99s keep the highest window, p50s the mean.`
      : '';
  const chart = (c: Omit<TimeChart, 'refLines' | 'bandLabels' | 'scale'> & Partial<TimeChart>) =>
    charts.push({ refLines: [], bandLabels: false, scale: 'linear', ...c });

  chart({
    id: 'throughput',
    title: 'Offered, admitted, completed and goodput',
    note: `Requests per second in each ${fmtDuration(ts.intervalMs * factor)} window; goodput counts completions that met their class's SLOs.${merged}`,
    unit: 'rps',
    bandLabels: true,
    series: [
      { key: 'offered', label: 'offered', color: OKABE_ITO.black, values: rate(ts.offered) },
      { key: 'admitted', label: 'admitted', color: OKABE_ITO.sky, values: rate(ts.admitted) },
      { key: 'completed', label: 'completed', color: OKABE_ITO.blue, values: rate(ts.completed) },
      { key: 'goodput', label: 'goodput', color: OKABE_ITO.green, values: rate(ts.goodput) },
    ],
  });

  const kinds: [keyof TimeSeriesBlock, string, string][] = [
    ['shed', 'shed', OKABE_ITO.orange],
    ['rateLimited', 'rate-limited', OKABE_ITO.purple],
    ['failed', 'failed', OKABE_ITO.vermillion],
    ['timedOut', 'timed out', OKABE_ITO.blue],
    ['abandoned', 'abandoned', OKABE_ITO.sky],
    // Black, not yellow: yellow is too faint on white for the one series a tab-heavy run has most of.
    ['cancelled', 'cancelled (next keystroke)', OKABE_ITO.black],
  ];
  const outcome = kinds.map(([k, label, color]) => ({ key: k, label, color, raw: ts[k] as Num[] }));
  const some = outcome.filter((o) => hasData(o.raw));
  chart({
    id: 'errors',
    title: 'Errors by kind',
    note:
      some.length > 0
        ? 'Requests per second ending in each error outcome (kinds that never happened are left out).'
        : 'No request was shed, rate-limited, failed, timed out or abandoned.',
    unit: 'rps',
    series: (some.length > 0 ? some : outcome).map((o) => ({
      key: o.key,
      label: o.label,
      color: o.color,
      values: rate(o.raw),
    })),
  });

  chart({
    id: 'provider-attempts',
    title: 'Attempts per provider',
    note: 'Attempts per second sent to each provider (first tries, retries, fallbacks and hedges).',
    unit: 'rps',
    series: providers.map((p, i) => ({
      key: `${p}:attempts`,
      label: p,
      color: pColor(i),
      values: rate(ts.providers[p]!.attempts),
    })),
  });

  chart({
    id: 'provider-errors',
    title: 'Failed attempts per provider',
    note: providers.some((p) => ts.providers[p]!.errors.some((v) => (v ?? 0) > 0))
      ? 'Attempts per second that failed at each provider: 429s, 5xx, timeouts, cut streams.'
      : 'No attempt failed at any provider (no 429s, 5xx, timeouts or cut streams).',
    unit: 'rps',
    series: providers.map((p, i) => ({
      key: `${p}:errors`,
      label: p,
      color: pColor(i),
      values: rate(ts.providers[p]!.errors),
    })),
  });

  chart({
    id: 'in-flight',
    title: 'In flight',
    note: `Requests in flight at the gateway and being served by each provider, sampled at the end of each window${factor > 1 ? ' (highest sample per point)' : ''}.`,
    unit: 'count',
    series: [
      {
        key: 'gateway:inFlight',
        label: 'gateway',
        color: OKABE_ITO.black,
        values: gauge(ts.gatewayInFlight),
      },
      ...providers.map((p, i) => ({
        key: `${p}:inService`,
        label: p,
        color: pColor(i),
        values: gauge(ts.providers[p]!.inService),
      })),
    ],
  });

  chart({
    id: 'queued',
    title: 'Queued',
    note: `Requests waiting in the gateway's queue and in each provider's own queue${factor > 1 ? ' (highest sample per point)' : ''}.`,
    unit: 'count',
    series: [
      {
        key: 'gateway:queued',
        label: 'gateway queue',
        color: OKABE_ITO.black,
        values: gauge(ts.gatewayQueued),
      },
      ...providers.map((p, i) => ({
        key: `${p}:queued`,
        label: p,
        color: pColor(i),
        values: gauge(ts.providers[p]!.queued),
      })),
    ],
  });

  const kv = providers.filter((p) => ts.providers[p]!.kvUsage);
  if (kv.length > 0)
    chart({
      id: 'kv-usage',
      title: 'KV cache use',
      note: 'Mean KV-cache use over each GPU pool\u2019s replicas.',
      unit: 'share',
      series: kv.map((p) => ({
        key: `${p}:kvUsage`,
        label: p,
        color: pColor(providers.indexOf(p)),
        values: gauge(ts.providers[p]!.kvUsage!),
      })),
    });

  const cached = providers.filter((p) => ts.providers[p]!.cachedShare);
  if (cached.length > 0)
    chart({
      id: 'cached-share',
      title: 'Input tokens served from cache',
      note: 'Share of the input tokens of attempts ending in each window that prompt or prefix caches served (token hit rate).',
      unit: 'share',
      series: cached.map((p) => ({
        key: `${p}:cachedShare`,
        label: p,
        color: pColor(providers.indexOf(p)),
        values: gauge(ts.providers[p]!.cachedShare!),
      })),
    });

  const offloaded = providers.filter((p) => ts.providers[p]!.offloadShare);
  if (offloaded.length > 0)
    chart({
      id: 'offload-share',
      title: 'Input tokens served from the CPU KV tier',
      note: 'Share of the input tokens of attempts ending in each window that a GPU pool loaded back from its CPU tier (KV offload) instead of prefilling; part of the tokens served from cache.',
      unit: 'share',
      series: offloaded.map((p) => ({
        key: `${p}:offloadShare`,
        label: p,
        color: pColor(providers.indexOf(p)),
        values: gauge(ts.providers[p]!.offloadShare!),
      })),
    });

  const scaled = providers.filter((p) => ts.providers[p]!.replicasDesired);
  if (scaled.length > 0) {
    const last = (p: string, k: 'replicasDesired' | 'replicasStarting' | 'replicasReady') =>
      gauge(ts.providers[p]![k]!, 'mean');
    chart({
      id: 'replicas',
      title: 'Replicas of autoscaled pools',
      note: 'Replicas the autoscaler asks for (dashed), those starting: provisioning, loading, warming up (dotted), and those ready (solid), at each window\u2019s end.',
      unit: 'count',
      series: scaled.flatMap((p) => {
        const color = pColor(providers.indexOf(p));
        return [
          {
            key: `${p}:replicasDesired`,
            label: `${p} desired`,
            color,
            dash: P50_DASH,
            values: last(p, 'replicasDesired'),
          },
          {
            key: `${p}:replicasStarting`,
            label: `${p} starting`,
            color,
            dash: '1 3',
            values: last(p, 'replicasStarting'),
          },
          { key: `${p}:replicasReady`, label: `${p} ready`, color, values: last(p, 'replicasReady') },
        ];
      }),
    });
    const onNodes = scaled.filter((p) => ts.providers[p]!.nodesRequested);
    if (onNodes.length > 0)
      chart({
        id: 'nodes',
        title: 'Nodes of autoscaled pools',
        note: 'Nodes requested and not yet removed (dashed), those provisioning (dotted), and those ready for replicas (solid), at each window\u2019s end.',
        unit: 'count',
        series: onNodes.flatMap((p) => {
          const color = pColor(providers.indexOf(p));
          const values = (k: 'nodesRequested' | 'nodesProvisioning' | 'nodesReady') =>
            gauge(ts.providers[p]![k]!, 'mean');
          return [
            {
              key: `${p}:nodesRequested`,
              label: `${p} nodes requested`,
              color,
              dash: P50_DASH,
              values: values('nodesRequested'),
            },
            {
              key: `${p}:nodesProvisioning`,
              label: `${p} nodes provisioning`,
              color,
              dash: '1 3',
              values: values('nodesProvisioning'),
            },
            { key: `${p}:nodesReady`, label: `${p} nodes ready`, color, values: values('nodesReady') },
          ];
        }),
      });
    chart({
      id: 'fleet-cost',
      title: 'Fleet cost of autoscaled pools',
      note:
        onNodes.length > 0
          ? 'Billed so far: node-hours (from each node\u2019s request until it is removed) times the price per node-hour for pools on nodes, else replica-hours (from each replica\u2019s request until it is gone) times the price per replica-hour.'
          : 'Replica-hours billed so far (from each replica\u2019s request until it is gone) times the price per replica-hour.',
      unit: 'usd',
      series: scaled.map((p) => ({
        key: `${p}:fleetCostUsd`,
        label: p,
        color: pColor(providers.indexOf(p)),
        values: gauge(ts.providers[p]!.fleetCostUsd!),
      })),
    });
  }

  for (const [metric, title] of [
    ['ttft', 'Time to first token'],
    ['e2e', 'End-to-end latency'],
  ] as const) {
    const p50 = metric === 'ttft' ? 'ttftP50' : 'e2eP50';
    const p99 = metric === 'ttft' ? 'ttftP99' : 'e2eP99';
    const refLines: RefLine[] = r.slos
      .filter((v) => v.metric.startsWith(`${metric}.`) && v.bound === 'max')
      .map((v) => ({
        value: v.threshold,
        label: `${v.class ?? 'all'} ${v.metric.slice(metric.length + 1)} SLO`,
        color: v.class !== null ? colorAt(Math.max(0, classes.indexOf(v.class))) : OKABE_ITO.black,
      }));
    chart({
      id: metric,
      title: `${title} per class`,
      note: `p99 (solid) and p50 (dashed) of the requests completing in each window, log scale; dotted lines are SLO limits.${factor > 1 ? ' Merged points show the highest p99 and the mean p50.' : ''}`,
      unit: 'ms',
      scale: 'log',
      refLines,
      series: classes.flatMap((c, i) => [
        { key: `${c}:${p99}`, label: `${c} p99`, color: colorAt(i), values: gauge(ts.classes[c]![p99]) },
        {
          key: `${c}:${p50}`,
          label: `${c} p50`,
          color: colorAt(i),
          dash: P50_DASH,
          values: gauge(ts.classes[c]![p50], 'mean'),
        },
      ]),
    });
  }

  const attempts = ds(ts.attempts, 'sum');
  const offered = ds(ts.offered, 'sum');
  chart({
    id: 'amplification',
    title: 'Amplification',
    note: 'Provider attempts per offered request in each window (retries, fallbacks, hedges); 1 means none.',
    unit: 'ratio',
    refLines: [{ value: 1, label: 'no amplification', color: OKABE_ITO.black }],
    series: [
      {
        key: 'amplification',
        label: 'attempts per request',
        color: OKABE_ITO.vermillion,
        values: attempts.map((a, i) => {
          const o = offered[i];
          return a === null || o === null || o === undefined || o <= 0 ? null : sig(a / o);
        }),
      },
    ],
  });

  chart({
    id: 'cost',
    title: 'Cost rate',
    note: 'Token-billed cost per hour at each window\u2019s pace (fleet replica-hours are in the tables).',
    unit: 'usdPerHour',
    series: [
      {
        key: 'cost',
        label: 'cost per hour',
        color: OKABE_ITO.purple,
        values: ds(ts.costUsd, 'sum').map((v, i) => (v === null ? null : sig((v * 3600) / secs[i]!))),
      },
    ],
  });

  const intervalMs = ts.intervalMs * factor;
  const endMs = n0 * ts.intervalMs;
  const bands = [...bandsOf(s, Math.max(endMs, r.endMs)), ...recoveryBands(r)];
  return { intervalMs, n: sizes.length, endMs, bands, charts };
}

const PERCENTILES: [keyof LatencySummary, string][] = [
  ['min', 'min'],
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p95', 'p95'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
];

function points(l: LatencySummary) {
  return PERCENTILES.flatMap(([k, p]) => {
    const v = l[k];
    return typeof v === 'number' && v > 0 && k !== 'count' ? [{ p, ms: v }] : [];
  });
}

/** Latency distributions per class from the percentiles the result keeps. */
export function percentileCharts(r: RunResult): PercentileChart[] {
  const classes = Object.keys(r.classes);
  return (
    [
      ['ttft', 'Time to first token'],
      ['tpot', 'Time per output token'],
      ['e2e', 'End-to-end latency'],
    ] as const
  )
    .map(([m, title]) => ({
      id: `dist-${m}`,
      title: `${title} distribution`,
      note: 'Latency (log scale) at each percentile the result keeps; the further right a line bends, the heavier the tail.',
      series: [
        ...classes.map((c, i) => ({
          key: c,
          label: c,
          color: colorAt(i),
          points: points(r.classes[c]!.latency[m]),
        })),
        ...(classes.length > 1
          ? [
              {
                key: 'all',
                label: 'all classes',
                color: OKABE_ITO.black,
                dash: P50_DASH,
                points: points(r.latency[m]),
              },
            ]
          : []),
      ].filter((x) => x.points.length > 0),
    }))
    .filter((c) => c.series.length > 0);
}

function verdictBanner(r: RunResult): string {
  if (r.slos.length === 0 && !r.recovery)
    return '<section class="verdict none" id="verdict" aria-label="SLO verdicts" data-pass="true"><p class="verdict-head">No SLOs defined</p></section>';
  const passed = r.slos.filter((s) => s.pass).length;
  const items = r.slos
    .map((v, i) => {
      const limit = `${v.bound === 'max' ? '≤' : '≥'} ${fmtSloValue(v.metric, v.threshold)}`;
      return `<li class="slo ${v.pass ? 'pass' : 'fail'}" data-slo-index="${i}" data-pass="${v.pass}"><span class="badge">${v.pass ? 'PASS' : 'FAIL'}</span> <span class="slo-name">${esc(v.name)}</span> <span class="observed">observed ${esc(fmtSloValue(v.metric, v.observed))}, limit ${esc(limit)}</span></li>`;
    })
    .join('\n');
  const triggers = r.recovery?.triggers ?? [];
  const recoveryItems = triggers
    .map(
      (t, i) =>
        `<li class="recovery ${t.pass ? 'pass' : 'fail'}" data-trigger-index="${i}" data-verdict="${t.verdict}" data-pass="${t.pass}"><span class="badge">${t.pass ? 'PASS' : 'FAIL'}</span> <span class="slo-name">${esc(t.name)} (${esc(fmtMs(t.startMs))}–${esc(fmtMs(t.endMs))}): ${esc(recoveryWords(t))}</span> <span class="observed">${esc(t.reason)}</span></li>`,
    )
    .join('\n');
  const heads = [
    ...(r.slos.length > 0 ? [`${passed} of ${plural(r.slos.length, 'SLO')} met`] : []),
    ...(r.recovery ? [recoveryHead(triggers)] : []),
  ];
  return `<section class="verdict ${r.pass ? 'pass' : 'fail'}" id="verdict" aria-label="SLO and recovery verdicts" data-pass="${r.pass}"${r.recovery ? ` data-recovery="${r.recovery.verdict}"` : ''}>
<p class="verdict-head"><span class="badge${r.pass ? '' : ' fail'}">${r.pass ? 'PASS' : 'FAIL'}</span> ${heads.join(' · ')}</p>
<ul>
${[items, recoveryItems].filter((x) => x.length > 0).join('\n')}
</ul>
</section>`;
}

const VERDICT_HEAD: Record<TriggerVerdict['verdict'], string> = {
  stable: 'stable through',
  recovered: 'recovered from',
  late: 'recovered late from',
  metastable: 'metastable after',
  inconclusive: 'could not judge',
};

/** `recovered from its trigger`, or per verdict over several: `recovered from 1, metastable after 1 of 2 triggers`. */
function recoveryHead(triggers: readonly TriggerVerdict[]): string {
  if (triggers.length === 1) return `${VERDICT_HEAD[triggers[0]!.verdict]} its trigger`;
  const counts = new Map<TriggerVerdict['verdict'], number>();
  for (const t of triggers) counts.set(t.verdict, (counts.get(t.verdict) ?? 0) + 1);
  if (counts.size === 1) return `${VERDICT_HEAD[triggers[0]!.verdict]} ${triggers.length} triggers`;
  return `${[...counts].map(([v, n]) => `${VERDICT_HEAD[v]} ${n}`).join(', ')} of ${triggers.length} triggers`;
}

/** After each trigger that dented the run: from its end until healthy again, or to the horizon. */
function recoveryBands(r: RunResult): Band[] {
  return (r.recovery?.triggers ?? []).flatMap((t): Band[] => {
    if (t.verdict === 'stable') return [];
    const endMs = t.recoveredAfterMs !== null ? t.endMs + t.recoveredAfterMs : t.horizonMs;
    if (endMs <= t.endMs) return [];
    const label =
      t.recoveredAfterMs !== null
        ? `recovering ${fmtDuration(t.recoveredAfterMs)}`
        : `${t.verdict}: not recovered`;
    return [{ kind: 'recovery', label, startMs: t.endMs, endMs }];
  });
}

function recoveryWords(t: TriggerVerdict): string {
  if (t.verdict === 'recovered' || t.verdict === 'late')
    return `${t.verdict} ${fmtAfter(t.recoveredAfterMs ?? 0)}`;
  return t.verdict;
}

function requestsTable(r: RunResult): string {
  const q = r.requests;
  const row = (label: string, k: number): Cell[] => [
    label,
    fmtInt(k),
    fmtPct(q.offered > 0 ? k / q.offered : 0),
  ];
  return table({
    caption: 'Requests by outcome',
    id: 'requests-table',
    head: ['outcome', 'requests', 'share'],
    rows: [
      row('offered', q.offered),
      row('completed', q.completed),
      row('met SLOs (goodput)', q.goodput),
      row('shed', q.shed),
      row('rate-limited', q.rateLimited),
      row('failed', q.failed),
      row('timed out', q.timedOut),
      row('abandoned', q.abandoned),
      row('cancelled', q.cancelled),
      row('unfinished', q.unfinished),
    ],
  });
}

/**
 * Why tries were refused (policy or gateway queue, reason, count); nothing when none were.
 * Reasons come from policy code: `table` escapes them.
 */
function rejectionsTable(r: RunResult): string {
  if (r.rejections.length === 0) return '';
  return table({
    caption: 'Rejections (per try, by policy and reason)',
    id: 'rejections-table',
    head: ['policy', 'kind', 'reason', 'rejections', 'per offered request'],
    numericFrom: 3,
    rows: r.rejections.map((x): Cell[] => [
      x.policy,
      x.kind,
      x.reason,
      fmtInt(x.count),
      fmtPct(r.requests.offered > 0 ? x.count / r.requests.offered : 0),
    ]),
  });
}

function classTable(r: RunResult): string {
  return table({
    caption: 'Per class',
    id: 'class-table',
    head: [
      'class',
      'offered',
      'completed',
      'goodput',
      'shed',
      'errors',
      'TTFT p50',
      'TTFT p99',
      'TPOT p50',
      'E2E p50',
      'E2E p99',
      'queue wait mean',
      'cost',
    ],
    rows: Object.entries(r.classes).map(([name, c]) => [
      name,
      fmtInt(c.requests.offered),
      fmtPct(c.requests.completedShare),
      fmtPct(c.requests.goodputShare),
      fmtPct(c.requests.shedShare),
      fmtPct(c.requests.errorShare),
      fmtMs(c.latency.ttft.p50),
      fmtMs(c.latency.ttft.p99),
      fmtMs(c.latency.tpot.p50),
      fmtMs(c.latency.e2e.p50),
      fmtMs(c.latency.e2e.p99),
      fmtMs(c.latency.queueWait.mean),
      fmtUsd(c.cost.totalUsd),
    ]),
  });
}

function providerTable(r: RunResult): string {
  const total = Object.values(r.providers).reduce((a, p) => a + p.attempts, 0);
  const rows = Object.entries(r.providers).map(([name, p]): Cell[] => {
    const errors = Object.entries(p.statuses)
      .filter(([s, k]) => s !== 'ok' && k > 0)
      .map(([s, k]) => `${s.replace(/_/g, ' ')} ${fmtInt(k)}`);
    const fleet = fleetCostUsd(p.details);
    return [
      name,
      p.kind,
      fmtInt(p.attempts),
      fmtPct(total > 0 ? p.attempts / total : 0),
      fmtInt(p.statuses['ok'] ?? 0),
      errors.join(', ') || 'none',
      fmtPct(p.utilization),
      fmtMs(p.ttft.p50),
      fmtMs(p.ttft.p99),
      fmtMs(p.queueWait.p99),
      // What prompt caching saved (or, when routing scattered prefixes, failed to).
      p.inputTokens > 0 ? fmtPct(p.cachedInputTokens / p.inputTokens) : '-',
      fmtUsd(p.costUsd + fleet),
    ];
  });
  const gpu = Object.entries(r.providers).filter(([, p]) => p.details);
  // Every pool's keys, in first-seen order: a later pool may carry more (autoscaled, disaggregated).
  const keys = [...new Set(gpu.flatMap(([, p]) => Object.keys(p.details!)))];
  const details =
    gpu.length > 0
      ? table({
          caption: 'Provider details',
          id: 'provider-details-table',
          head: ['provider', ...keys.map(detailHeading)],
          textColumns: keys.flatMap((k, i) =>
            gpu.some(([, p]) => p.details![k] !== undefined && typeof p.details![k] !== 'number')
              ? [i + 1]
              : [],
          ),
          rows: gpu.map(([name, p]) => [
            name,
            ...keys.map((k) => {
              const v = p.details![k];
              return typeof v === 'number'
                ? k.endsWith('Usd')
                  ? fmtUsd(v)
                  : fmtCount(sig(v, 6))
                : String(v ?? '-');
            }),
          ]),
        })
      : '';
  return `${table({
    caption: 'Per provider',
    id: 'provider-table',
    head: [
      'provider',
      'kind',
      'attempts',
      'share',
      'ok',
      'errors',
      'utilization',
      'TTFT p50',
      'TTFT p99',
      'queue wait p99',
      'input cached',
      'cost',
    ],
    numericFrom: 2,
    textColumns: [5],
    rows,
  })}${details}${prefixCacheTable(r)}${offloadTable(r)}${disaggregationTable(r)}`;
}

/** Per GPU pool with prefix caching: the token hit rate of each replica's cache (first admissions, warmup included). */
function prefixCacheTable(r: RunResult): string {
  const pools = Object.entries(r.providers).filter(([, p]) => p.prefixCache);
  if (pools.length === 0) return '';
  const width = Math.max(...pools.map(([, p]) => p.prefixCache!.replicas.length));
  return table({
    caption: 'Prefix cache: token hit rate per replica',
    id: 'prefix-cache-table',
    head: [
      'provider',
      'prompt tokens',
      'cached',
      'hit rate',
      ...Array.from({ length: width }, (_, i) => `replica ${i}`),
    ],
    rows: pools.map(([name, p]) => {
      const c = p.prefixCache!;
      return [
        name,
        fmtInt(c.promptTokens),
        fmtInt(c.cachedTokens),
        fmtPct(c.tokenHitRate),
        ...Array.from({ length: width }, (_, i) => {
          const rep = c.replicas[i];
          return rep ? fmtPct(rep.tokenHitRate) : '-';
        }),
      ];
    }),
  });
}

/** Per GPU pool with a CPU KV tier: the prompt tokens it served, its hit rate per replica, its loads and their transfer time. */
function offloadTable(r: RunResult): string {
  const pools = Object.entries(r.providers).filter(([, p]) => p.prefixCache?.offloadedTokens !== undefined);
  if (pools.length === 0) return '';
  const width = Math.max(...pools.map(([, p]) => p.prefixCache!.replicas.length));
  return table({
    caption: 'KV offload: prompt tokens the CPU tier served (loaded back, not prefilled), per replica',
    id: 'offload-table',
    head: [
      'provider',
      'from CPU tier',
      'CPU tier hit rate',
      'GPU + CPU hit rate',
      'loads',
      'transfer time',
      ...Array.from({ length: width }, (_, i) => `replica ${i}`),
    ],
    rows: pools.map(([name, p]) => {
      const c = p.prefixCache!;
      return [
        name,
        fmtInt(c.offloadedTokens!),
        fmtPct(c.offloadHitRate!),
        fmtPct(c.tokenHitRate + c.offloadHitRate!),
        fmtInt(c.offloadLoads!),
        fmtMs(c.offloadTransferMs!),
        ...Array.from({ length: width }, (_, i) => {
          const rep = c.replicas[i];
          return rep?.offloadHitRate !== undefined ? fmtPct(rep.offloadHitRate) : '-';
        }),
      ];
    }),
  });
}

/** How the run ended after its arrivals: 'drained to 10m21s', or 'drained within a second'. */
function drained(r: RunResult): string {
  const end = Math.round(r.endMs / 1000) * 1000;
  return end > r.durationMs ? `drained to ${fmtDuration(end)}` : 'drained within a second';
}

const DETAIL_HEADINGS: Record<string, string> = {
  kvCapacityTokensPerReplica: 'KV capacity (tokens per replica)',
  replicaHoursUp: 'replica-hours up',
  fleetCostUsd: 'fleet cost',
};

/** A provider detail's key as a column heading: `prefixCacheHits` -> `prefix cache hits`. */
function detailHeading(key: string): string {
  return DETAIL_HEADINGS[key] ?? key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

function header(r: RunResult, s: Scenario, o: RunReportOptions): string {
  const q = r.requests;
  const g = s.gateway;
  const items: [string, Cell][] = [
    ['scenario file', r.scenario.file],
    ['seed', String(r.seed)],
    [
      'duration',
      `${fmtDuration(r.durationMs)}${r.warmupMs > 0 ? ` (first ${fmtDuration(r.warmupMs)} warmup)` : ''}, ${drained(r)}`,
    ],
    [
      'traffic',
      `${plural(q.offered, 'request')}, ${plural(Object.keys(r.classes).length, 'class', 'classes')}, ${plural(Object.keys(r.providers).length, 'provider')}`,
    ],
    ['admission', fmtPolicy(g.admission)],
    ['routing', fmtPolicy(g.routing)],
    ['health', fmtPolicy(g.health)],
    [
      'cost',
      `${fmtUsd(r.cost.totalUsd)} for tokens${r.cost.fleetUsd ? ` + ${fmtUsd(r.cost.fleetUsd)} for the fleet` : ''}`,
    ],
    ['goodput', `${fmtRate(q.goodputPerSec)} (${fmtPct(q.goodputShare)})`],
    ['amplification', `${q.amplification.toFixed(2)} attempts per request`],
  ];
  if (o.overrides && o.overrides.length > 0)
    items.push(['overrides', o.overrides.map((x) => `--set ${x}`).join(' ')]);
  return `<header>
<p class="kicker">Floodgate run report</p>
<h1 id="title">${esc(r.scenario.name)}</h1>
${r.scenario.description ? `<p class="description">${esc(r.scenario.description)}</p>` : ''}
${facts(items)}
${verdictBanner(r)}
<p class="story" id="story">${esc(runStory(r, s))}</p>
</header>`;
}

export function renderRunReport(
  result: RunResult,
  scenario: Scenario,
  options: RunReportOptions = {},
): string {
  const time = timeCharts(result, scenario, options.maxPoints);
  const ts = result.timeseries;
  const observed =
    ts.startMs.length > 0
      ? {
          tMs: Array.from({ length: time.n }, (_, i) => (i + 0.5) * time.intervalMs),
          series: Object.keys(ts.classes).map(
            (c, i): Series => ({
              key: c,
              label: c,
              color: colorAt(i),
              values: downsample(ts.classes[c]!.offered, time.intervalMs / ts.intervalMs, 'sum').map((v) =>
                v === null ? null : sig(v / (time.intervalMs / 1000)),
              ),
            }),
          ),
        }
      : undefined;
  const data: RunReportData = {
    kind: 'run',
    glance: glanceChart(scenario, observed),
    time,
    percentiles: percentileCharts(result),
  };
  const glanceNote = data.glance.rate?.observed
    ? 'Offered requests per second per class as observed (arrivals replay a trace), stacked; faults per provider below.'
    : 'Planned arrival rate per class (requests per second, stacked), with spikes shaded and faults per provider below.';
  const body = `${header(result, scenario, options)}
<main>
<section id="glance" aria-labelledby="glance-h">
<h2 id="glance-h">The scenario at a glance</h2>
${figure('glance', 'Arrivals and faults', glanceNote, true)}
${glanceTables(scenario)}
</section>
<section id="time" aria-labelledby="time-h">
<h2 id="time-h">Over time</h2>
<div class="toolbar"><span class="hint">Shaded: warmup, spikes, faults (hatched), the stretch after a trigger until the run was healthy again (pink) and the drain. Drag across any chart to zoom every chart to that stretch; double-click or Reset to zoom out. Click a legend entry to hide or show a series.</span><button type="button" id="reset-zoom" hidden>Reset zoom</button></div>
<div class="stack">
${time.charts.map((c) => figure(c.id, c.title, c.note, true)).join('\n')}
</div>
</section>
<section id="distributions" aria-labelledby="dist-h">
<h2 id="dist-h">Distributions and totals</h2>
<div class="charts">
${data.percentiles.map((c) => figure(c.id, c.title, c.note)).join('\n')}
</div>
${requestsTable(result)}
${rejectionsTable(result)}
${classTable(result)}
${providerTable(result)}
</section>
</main>
<footer>Generated by floodgate from the run result (${esc(result.schema)}) of ${esc(result.scenario.file)}, seed ${result.seed}. Self-contained: nothing on this page is fetched from the network.</footer>`;
  return page({ title: `${result.scenario.name}: floodgate run report`, body, data, script: clientScript() });
}
