/**
 * renderSweepReport: a sweep (one parameter over values, several seeds each) as a self-contained
 * HTML page: the regions in words and as a table (stable, vulnerable, metastable, inconclusive
 * per value, with the recovery verdicts over seeds), then the curves over the varied parameter
 * with the regions shaded behind them: load vs goodput (whole run and where it settled after the
 * trigger), load vs goodput throughput, load vs latency (TTFT p50 and p99, per class when there
 * are several), time to recover and amplification; and the scenario at a glance.
 */
import type { SeedFigures } from '../compare/job.ts';
import { describeRegions, REGIONS, type Region, type SweepResult } from '../compare/sweep.ts';
import type { Scenario } from '../scenario/schema.ts';
import { clientScript } from './client-script.ts';
import { curveSections, hasValues, latencyScale, pointOf, seriesOver, xAxisOf } from './curves.ts';
import { fmtInt, fmtMs, fmtPct, fmtRate, fmtUsd, fmtValue, plural } from './format.ts';
import { glanceChart } from './glance.ts';
import { type Cell, esc, facts, page, table } from './html.ts';
import type { CurveChart, CurveReportData, CurveSeries, XBand } from './model.ts';
import { colorAt, OKABE_ITO, P50_DASH } from './palette.ts';

export interface SweepReportOptions {
  /** The `--set` overrides applied to every run, shown in the header. */
  overrides?: readonly string[];
}

/** Region colours: green holds, orange gives way under the trigger, vermillion already failed. */
export const REGION_COLORS: Record<Region, string> = {
  stable: OKABE_ITO.green,
  vulnerable: OKABE_ITO.orange,
  metastable: OKABE_ITO.vermillion,
  inconclusive: '#999999',
};

const REGION_MEANING: Record<Region, string> = {
  stable: 'recovers from the trigger (or rides through it)',
  vulnerable: 'healthy before the trigger, failed after it',
  metastable: 'failed even before the trigger',
  inconclusive: 'no baseline before the trigger, or too little run after it',
};

/** The regions as x stretches: each value owns the half-way marks to its neighbours. */
function regionBands(xs: readonly number[], regions: readonly Region[]): XBand[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const bands: XBand[] = [];
  order.forEach((i, k) => {
    const prev = order[k - 1];
    const next = order[k + 1];
    const half = (j: number | undefined, dir: number) =>
      j === undefined
        ? xs[i]! + dir * (order.length > 1 ? Math.abs(xs[order[1]!]! - xs[order[0]!]!) / 2 : 0.5)
        : (xs[i]! + xs[j]!) / 2;
    const x0 = half(prev, -1);
    const x1 = half(next, 1);
    const r = regions[i]!;
    const last = bands[bands.length - 1];
    if (last && last.key === r && Math.abs(last.x1 - x0) < 1e-9) last.x1 = x1;
    else bands.push({ key: r, label: `${r}: ${REGION_MEANING[r]}`, color: REGION_COLORS[r], x0, x1 });
  });
  return bands;
}

/** The curves of a sweep (see the file comment). */
export function sweepCurves(r: SweepResult): CurveChart[] {
  const { xs, xLabel, xTicks } = xAxisOf(
    r.points.map((p) => p.text),
    r.path,
  );
  const classified = r.recovery !== false;
  const xBands = classified
    ? regionBands(
        xs,
        r.points.map((p) => p.region),
      )
    : [];
  const base = { xLabel, ...(xTicks ? { xTicks } : {}), refLines: [], xRefs: [], xBands };
  const series = seriesOver(r.points, xs, (p) =>
    classified ? { note: `${p.region} (${fmtVerdicts(p.verdicts)})` } : {},
  );
  const classes = Object.keys(r.points[0]?.seeds[0]?.classes ?? {});
  const latency: CurveSeries[] = [
    series('ttftP99', 'TTFT p99', OKABE_ITO.blue, (s) => s.ttftP99),
    series('ttftP50', 'TTFT p50', OKABE_ITO.blue, (s) => s.ttftP50, P50_DASH),
  ];
  if (classes.length > 1)
    classes.forEach((c, i) => {
      latency.push(series(`ttftP99-${c}`, `${c} TTFT p99`, colorAt(i + 1), (s) => s.classes[c]?.ttftP99));
    });
  const charts: CurveChart[] = [
    ...(r.points.every((p) => p.quality) ? qualityCurves(r, base, series) : []),
    {
      id: 'sweep-goodput',
      title: 'Load vs goodput',
      note: 'Share of offered requests served within their targets, over the whole run and where the run settled after the trigger (its last window). Shading: the region of each value.',
      unit: 'share',
      scale: 'linear',
      ...base,
      series: [
        series('goodputShare', 'goodput (whole run)', OKABE_ITO.black, (s) => s.goodputShare),
        series('endGoodputShare', 'settled goodput', OKABE_ITO.purple, (s) => s.recovery?.endGoodputShare),
      ],
    },
    {
      id: 'sweep-throughput',
      title: 'Load vs throughput',
      note: 'Goodput per second: completions per second that met their class\u2019s targets (mean ± 95% CI over seeds; small dots are single seeds).',
      unit: 'rps',
      scale: 'linear',
      ...base,
      series: [series('goodputPerSec', 'goodput per second', OKABE_ITO.green, (s) => s.goodputPerSec)],
    },
    {
      id: 'sweep-latency',
      title: 'Load vs latency',
      note: `Time to first token, p99 (solid) and p50 (dashed)${classes.length > 1 ? ', and p99 per class' : ''}, over the whole measured run.`,
      unit: 'ms',
      scale: latencyScale(latency.flatMap((s) => s.points)),
      ...base,
      series: latency,
    },
    {
      id: 'sweep-recovery',
      title: 'Time to recover',
      note: 'From the end of the trigger until the run was healthy for good, over the seeds that came back (0: rode through it).',
      unit: 'ms',
      scale: 'linear',
      ...base,
      series: [
        series('recoveredAfterMs', 'recovered after', OKABE_ITO.sky, (s) => s.recovery?.recoveredAfterMs),
      ],
    },
    {
      id: 'sweep-amplification',
      title: 'Load vs amplification',
      note: 'Attempts per offered request over the whole run, and in the settled window after the trigger.',
      unit: 'ratio',
      scale: 'linear',
      ...base,
      refLines: [{ value: 1, label: '1x', color: '#777' }],
      series: [
        series('amplification', 'whole run', OKABE_ITO.black, (s) => s.amplification),
        series('endAmplification', 'settled', OKABE_ITO.vermillion, (s) => s.recovery?.endAmplification),
      ],
    },
  ];
  if (classified) return charts.filter(hasValues);
  // Without a recovery block the settled and recovery series have nothing to draw: leave them
  // out of the legends, and the region shading out of the notes.
  return charts
    .map((c) => ({
      ...c,
      note: c.note.replace(' Shading: the region of each value.', ''),
      series: c.series.filter((x) => x.points.some((p) => p.y !== null)),
    }))
    .filter(hasValues);
}

/**
 * With quality: the cost-quality curve (each value's mean cost against its acceptable share, both
 * with 95% CIs, joined in cost order), and acceptable share and cost per acceptable answer over
 * the varied parameter.
 */
function qualityCurves(
  r: SweepResult,
  base: Pick<CurveChart, 'xLabel' | 'xTicks' | 'refLines' | 'xRefs' | 'xBands'>,
  series: (
    key: string,
    label: string,
    color: string,
    f: (s: SeedFigures) => number | null | undefined,
  ) => CurveSeries,
): CurveChart[] {
  const costQuality: CurveChart = {
    id: 'sweep-cost-quality',
    title: 'Cost against acceptable share',
    note: `Each value of ${r.path}: its cost per run (tokens + fleet) against its acceptable share, mean ± 95% CI over seeds on both axes, joined in cost order: the cost-quality curve.`,
    xLabel: 'cost per run (tokens + fleet)',
    xUnit: 'usd',
    unit: 'share',
    scale: 'linear',
    fitY: true,
    refLines: [],
    xRefs: [],
    xBands: [],
    series: [
      {
        key: 'costQuality',
        label: `acceptable share (labels: ${r.path})`,
        color: OKABE_ITO.blue,
        line: true,
        points: r.points.map((p) => {
          const q = p.quality!;
          const point = pointOf(0, `${r.path} = ${p.text}`, p.seeds, (s) => s.quality?.acceptableShare);
          return {
            ...point,
            pointLabel: p.text,
            x: Number.isFinite(q.costUsd.mean) ? Number(q.costUsd.mean.toPrecision(6)) : 0,
            xci95:
              q.costUsd.n > 1 && Number.isFinite(q.costUsd.ci95)
                ? Number(q.costUsd.ci95.toPrecision(6))
                : null,
          };
        }),
      },
    ],
  };
  return [
    costQuality,
    {
      id: 'sweep-acceptable',
      title: 'Acceptable share and quality goodput',
      note: 'Share of offered requests answered acceptably, and of those also within their SLOs (quality goodput).',
      unit: 'share',
      scale: 'linear',
      ...base,
      series: [
        series('acceptableShare', 'acceptable', OKABE_ITO.blue, (s) => s.quality?.acceptableShare),
        series(
          'qualityGoodputShare',
          'quality goodput',
          OKABE_ITO.green,
          (s) => s.quality?.qualityGoodputShare,
        ),
      ],
    },
    {
      id: 'sweep-cost-per-acceptable',
      title: 'Cost per acceptable answer',
      note: 'Token cost (attempts and the router\u2019s own calls) per acceptable answer.',
      unit: 'usd',
      scale: 'linear',
      ...base,
      series: [
        series(
          'costPerAcceptableUsd',
          'cost per acceptable answer',
          OKABE_ITO.vermillion,
          (s) => s.quality?.costPerAcceptableUsd,
        ),
      ],
    },
  ];
}

function fmtVerdicts(v: Record<string, number>): string {
  return Object.entries(v)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

function estimateCell(e: { mean: number; ci95: number; n: number }, fmt: (x: number) => string): Cell {
  if (!Number.isFinite(e.mean)) return '-';
  return {
    html: `${esc(fmt(e.mean))}${e.n > 1 && Number.isFinite(e.ci95) ? ` <span class="ci">± ${esc(fmt(e.ci95))}</span>` : ''}`,
  };
}

/** A quality-only sweep (no recovery block): each value's cost and quality. */
function qualityTable(r: SweepResult): string {
  const rows = r.points.map((p): Cell[] => {
    const q = p.quality;
    return [
      p.text,
      q ? estimateCell(q.acceptableShare, fmtPct) : '-',
      q ? estimateCell(q.qualityGoodputShare, fmtPct) : '-',
      q ? estimateCell(q.costUsd, fmtUsd) : '-',
      q ? estimateCell(q.costPerAcceptableUsd, fmtUsd) : '-',
      estimateCell(p.goodputShare, fmtPct),
    ];
  });
  return table({
    caption: `Each value of ${r.path} over ${plural(r.seeds.length, 'seed')} (mean ± 95% CI)`,
    id: 'sweep-table',
    head: [r.path, 'acceptable', 'quality goodput', 'cost per run', 'cost per acceptable', 'goodput'],
    numericFrom: 1,
    rows,
  });
}

function pointsTable(r: SweepResult): string {
  if (r.recovery === false) return qualityTable(r);
  const rows = r.points.map((p): Cell[] => {
    const of = (f: (s: SeedFigures) => number | null) => {
      const xs = p.seeds.map(f).filter((v): v is number => v !== null && Number.isFinite(v));
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
    };
    return [
      p.text,
      {
        html: `<span class="region region-${esc(p.region)}" data-region="${esc(p.region)}">${esc(p.region)}</span>`,
      },
      fmtVerdicts(p.verdicts),
      estimateCell(p.goodputShare, fmtPct),
      estimateCell(p.endGoodputShare, fmtPct),
      fmtRate(of((s) => s.goodputPerSec)),
      fmtMs(of((s) => s.ttftP99)),
      estimateCell(p.endAmplification, (x) => `${x.toFixed(2)}x`),
      estimateCell(p.recoveredAfterMs, fmtMs),
    ];
  });
  return table({
    caption: `Each value of ${r.path} over ${plural(r.seeds.length, 'seed')} (mean ± 95% CI)`,
    id: 'sweep-table',
    head: [
      r.path,
      'region',
      'recovery verdicts',
      'goodput',
      'settled goodput',
      'goodput/s',
      'TTFT p99',
      'settled amp',
      'recovered after',
    ],
    numericFrom: 3,
    textColumns: [1, 2],
    rows,
  });
}

function regionBanner(r: SweepResult): string {
  if (r.recovery === false)
    return `<section class="verdict none" id="verdict" aria-label="Regions" data-pass="true">
<p class="verdict-head">No recovery block: the cost-quality curve over ${esc(r.path)}</p>
</section>`;
  const counts = REGIONS.map((g) => [g, r.points.filter((p) => p.region === g).length] as const).filter(
    ([, n]) => n > 0,
  );
  const allStable = counts.length === 1 && counts[0]![0] === 'stable';
  const items = counts
    .map(
      ([g, n]) =>
        `<li class="region-item" data-region="${esc(g)}"><span class="badge" style="background:${REGION_COLORS[g]}">${esc(g)}</span> <span class="observed">${plural(n, 'value')}: ${esc(REGION_MEANING[g])}</span></li>`,
    )
    .join('\n');
  return `<section class="verdict ${allStable ? 'pass' : 'fail'}" id="verdict" aria-label="Regions" data-pass="${allStable}">
<p class="verdict-head">${esc(describeRegions(r.points))}</p>
<ul>
${items}
</ul>
</section>`;
}

/** The story in words: where the system holds and where the trigger leaves it failed. */
export function sweepStory(r: SweepResult): string {
  if (r.recovery === false) return qualityStory(r);
  const stable = r.points.filter((p) => p.region === 'stable');
  const failing = r.points.find((p) => p.region === 'vulnerable' || p.region === 'metastable');
  const parts = [
    `${r.path} took ${plural(r.points.length, 'value')} (${r.points.map((p) => p.text).join(', ')}), each on ${plural(r.seeds.length, 'seed')}.`,
  ];
  if (stable.length === r.points.length) parts.push('Every value recovered from the trigger.');
  else if (stable.length === 0) parts.push('No value recovered from the trigger on most seeds.');
  else parts.push(`The system recovered at ${stable.map((p) => p.text).join(', ')}.`);
  if (failing)
    parts.push(
      `From ${failing.text} it was ${failing.region} on most seeds (${fmtVerdicts(failing.verdicts)}): goodput settled at ${fmtValue('share', Number.isFinite(failing.endGoodputShare.mean) ? failing.endGoodputShare.mean : null)} after the trigger.`,
    );
  return parts.join(' ');
}

/** A quality-only sweep in words: acceptable share and cost at the two ends of the values. */
function qualityStory(r: SweepResult): string {
  const parts = [
    `${r.path} took ${plural(r.points.length, 'value')} (${r.points.map((p) => p.text).join(', ')}), each on ${plural(r.seeds.length, 'seed')}.`,
  ];
  const first = r.points[0];
  const last = r.points[r.points.length - 1];
  const at = (p: (typeof r.points)[number]) =>
    `${fmtValue('share', Number.isFinite(p.quality?.acceptableShare.mean ?? Number.NaN) ? p.quality!.acceptableShare.mean : null)} acceptable at ${fmtUsd(Number.isFinite(p.quality?.costUsd.mean ?? Number.NaN) ? p.quality!.costUsd.mean : null)} per run (${p.text})`;
  if (first?.quality && last?.quality && first !== last) parts.push(`From ${at(first)} to ${at(last)}.`);
  return parts.join(' ');
}

export function renderSweepReport(
  result: SweepResult,
  scenario: Scenario,
  options: SweepReportOptions = {},
): string {
  const data: CurveReportData = { kind: 'sweep', glance: glanceChart(scenario), curves: sweepCurves(result) };
  const items: [string, Cell][] = [
    ['scenario file', result.scenario],
    ['varied', `${result.path}: ${result.points.map((p) => p.text).join(', ')}`],
    [
      'seeds',
      `${result.seeds.join(', ')} (${plural(result.seeds.length, 'seed')} per value, the same for every value)`,
    ],
    ['runs', fmtInt(result.points.length * result.seeds.length)],
  ];
  if (options.overrides && options.overrides.length > 0)
    items.push(['overrides', options.overrides.map((x) => `--set ${x}`).join(' ')]);
  const body = `<header>
<p class="kicker">Floodgate sweep</p>
<h1 id="title">${esc(scenario.name)}</h1>
${scenario.description ? `<p class="description">${esc(scenario.description)}</p>` : ''}
${facts(items)}
${regionBanner(result)}
<p class="story" id="story">${esc(sweepStory(result))}</p>
</header>
<main>
<section id="regions" aria-labelledby="regions-h">
<h2 id="regions-h">${result.recovery === false ? 'Values' : 'Regions'}</h2>
<p class="hint">${result.recovery === false ? 'Without a recovery block a sweep maps no regions: it draws what each value costs and the quality it gets.' : 'A value\'s region is the most common over its seeds (ties go to the worse). "Settled": the last window after the first trigger, before the next one or the end of arrivals.'}</p>
${pointsTable(result)}
</section>
${curveSections(result.path, data, scenario)}
</main>
<footer>Generated by floodgate from the sweep result (${esc(result.schema)}) of ${esc(result.scenario)}. Self-contained: nothing on this page is fetched from the network.</footer>`;
  return page({
    title: `${scenario.name}: floodgate sweep over ${result.path}`,
    body,
    data,
    script: clientScript(),
  });
}
