/**
 * renderCompareReport: a comparison of policies (means with 95% CIs over the same seeds, ranked,
 * with paired significance against the leader) as a self-contained HTML page: the ranking and
 * per-seed tables in HTML, and a dot-and-whisker chart per headline figure (mean ± CI, every
 * seed's value as a small dot) drawn in the browser. The first seed's time series of each policy
 * is drawn as a row of small multiples on identical scales, plus an overlay of goodput per second
 * for every policy; the scenario's arrivals and faults are shown at a glance.
 */
import { type CompareResult, type EntryResult, figureOf, OBJECTIVES } from '../compare/compare.ts';
import type { Estimate } from '../compare/stats.ts';
import type { Scenario } from '../scenario/schema.ts';
import { clientScript } from './client-script.ts';
import { fmtInt, fmtValue, plural, sig, type Unit } from './format.ts';
import { bandsOf, glanceChart } from './glance.ts';
import { type Cell, esc, facts, figure, page, table } from './html.ts';
import type {
  CompareReportData,
  CurveChart,
  CurvePoint,
  DotChart,
  DotValue,
  Num,
  TimeChart,
  TimeSection,
} from './model.ts';
import { colorAt, OKABE_ITO } from './palette.ts';
import { glanceTables } from './scenario-tables.ts';
import { compareStory, FIGURE_UNITS, fmtDiff } from './story.ts';

export interface CompareReportOptions {
  /** The `--set` overrides applied to every run, shown in the header. */
  overrides?: readonly string[];
}

type Figure = keyof EntryResult['summary'];

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const clean = (x: unknown): Num => (finite(x) ? sig(x, 6) : null);

function dot(e: Estimate, seeds: { seed: number; value: unknown }[]): DotValue {
  return {
    mean: clean(e.mean),
    ci95: clean(e.ci95),
    n: e.n,
    seeds: seeds.map((s) => ({ seed: s.seed, value: clean(s.value) })),
  };
}

const FIGURE_TITLES: Record<string, [string, boolean]> = {
  goodputShare: ['Goodput (share of offered meeting SLOs)', true],
  ttftP99: ['p99 time to first token', false],
  ttftP50: ['p50 time to first token', false],
  shedShare: ['Shed (share of offered)', false],
  errorShare: ['Errors (share of offered)', false],
  amplification: ['Amplification (attempts per request)', false],
  costUsd: ['Cost per run (tokens + fleet)', false],
  fleetCostUsd: ['Fleet cost per run (replica- or node-hours billed)', false],
  recovered: ['Recovered (share of seeds passing the recovery verdict)', true],
  recoveredAfterMs: ['Time to recover after the trigger (seeds that recovered)', false],
};

/** The dot-and-whisker charts: the objective first, then the other headline figures and per class. */
export function dotCharts(r: CompareResult): DotChart[] {
  const objective = OBJECTIVES[r.objective].figure as Figure;
  const figures = [objective, ...(Object.keys(FIGURE_TITLES) as Figure[]).filter((f) => f !== objective)];
  const charts: DotChart[] = [];
  for (const f of figures) {
    const [title, higherIsBetter] = FIGURE_TITLES[f] ?? [f, true];
    const unit: Unit = FIGURE_UNITS[f] ?? 'count';
    const values = r.entries.map((e) =>
      dot(
        e.summary[f] ?? { mean: Number.NaN, ci95: Number.NaN, n: 0 },
        e.seeds.map((s) => ({ seed: s.seed, value: figureOf(s, f) })),
      ),
    );
    if (f !== objective && values.every((v) => v.seeds.every((s) => !s.value))) continue;
    charts.push({
      id: `fig-${f}`,
      title: `${title}${f === objective ? ' (objective)' : ''}`,
      note: `Mean ± 95% CI per policy; small dots are single seeds. ${higherIsBetter ? 'Higher' : 'Lower'} is better.`,
      unit,
      higherIsBetter,
      values,
    });
  }
  if (r.frontier) charts.push(...qualityDotCharts(r));
  if (r.entries.some((e) => e.tokenHitRate)) charts.push(hitRateDotChart(r));
  const classes = Object.keys(r.entries[0]?.classes ?? {});
  const qualityClasses = r.frontier ? [['acceptableShare', 'acceptable share', 'share', true] as const] : [];
  if (classes.length > 1)
    for (const c of classes)
      for (const [f, title, unit, hib] of [
        ['ttftP99', 'p99 TTFT', 'ms', false] as const,
        ['goodputShare', 'goodput', 'share', true] as const,
        ...qualityClasses,
      ]) {
        const values = r.entries.map((e) =>
          dot(
            e.classes[c]?.[f] ?? { mean: Number.NaN, ci95: Number.NaN, n: 0 },
            e.seeds.map((s) => ({ seed: s.seed, value: s.classes[c]?.[f] })),
          ),
        );
        if (values.every((v) => v.mean === null)) continue;
        charts.push({
          id: `fig-${c}-${f}`,
          title: `${c}: ${title}`,
          note: `Class ${c}. ${hib ? 'Higher' : 'Lower'} is better.`,
          unit,
          higherIsBetter: hib,
          values,
        });
      }
  return charts;
}

const QUALITY_FIGURES = [
  ['acceptableShare', 'Acceptable answers (share of offered)', 'share', true],
  ['qualityGoodputShare', 'Quality goodput (acceptable and within SLOs, share of offered)', 'share', true],
  ['costPerAcceptableUsd', 'Token cost per acceptable answer', 'usd', false],
] as const;

/** With quality: acceptable share, quality goodput and cost per acceptable answer per policy. */
function qualityDotCharts(r: CompareResult): DotChart[] {
  return QUALITY_FIGURES.map(([f, title, unit, higherIsBetter]) => ({
    id: `fig-quality-${f}`,
    title,
    note: `Mean ± 95% CI per policy; small dots are single seeds. ${higherIsBetter ? 'Higher' : 'Lower'} is better.`,
    unit,
    higherIsBetter,
    values: r.entries.map((e) =>
      dot(
        e.quality?.[f] ?? { mean: Number.NaN, ci95: Number.NaN, n: 0 },
        e.seeds.map((s) => ({ seed: s.seed, value: s.quality?.[f] })),
      ),
    ),
  }));
}

/** With prefix caching in any pool: the token hit rate per policy. */
function hitRateDotChart(r: CompareResult): DotChart {
  return {
    id: 'fig-tokenHitRate',
    title: 'Token hit rate (prompt tokens served by prefix caches)',
    note: 'Mean ± 95% CI per policy; small dots are single seeds. Higher is better.',
    unit: 'share',
    higherIsBetter: true,
    values: r.entries.map((e) =>
      dot(
        e.tokenHitRate ?? { mean: Number.NaN, ci95: Number.NaN, n: 0 },
        e.seeds.map((s) => ({ seed: s.seed, value: s.tokenHitRate })),
      ),
    ),
  };
}

/**
 * With quality: each policy's mean cost (x, with its 95% CI as a horizontal whisker) against its
 * mean acceptable share (y, vertical whisker); dominated policies hollow, the cost-quality
 * frontier as a dashed line, cheapest first.
 */
export function frontierChart(r: CompareResult): CurveChart | undefined {
  const f = r.frontier;
  if (!f) return undefined;
  const pointOf = (e: EntryResult): CurvePoint => {
    const on = f.entries.find((x) => x.label === e.label);
    return {
      x: clean(e.summary.costUsd.mean) ?? 0,
      xci95: e.summary.costUsd.n > 1 ? clean(e.summary.costUsd.ci95) : null,
      label: e.label,
      y: clean(e.quality?.acceptableShare.mean),
      ci95: (e.quality?.acceptableShare.n ?? 0) > 1 ? clean(e.quality?.acceptableShare.ci95) : null,
      seeds: e.seeds.map((s) => clean(s.quality?.acceptableShare)),
      hollow: !on?.onFrontier,
      note: on?.onFrontier ? 'on the frontier' : `dominated by ${on?.dominatedBy.join(', ') ?? '?'}`,
    };
  };
  const byLabel = new Map(r.entries.map((e) => [e.label, e]));
  const line = f.costQuality.map((label) => ({ ...pointOf(byLabel.get(label)!), ci95: null, seeds: [] }));
  return {
    id: 'frontier-chart',
    title: 'Cost against acceptable share, and the frontier',
    note: 'Mean ± 95% CI over seeds on both axes (whiskers); hollow: dominated by another policy (at most as costly, at least as acceptable, at most as slow at p99 TTFT, and better on one). The dashed line joins the cost-quality frontier, cheapest first.',
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
        key: 'frontier',
        label: 'cost-quality frontier',
        color: OKABE_ITO.black,
        dash: '5 3',
        line: true,
        points: line.map((p) => ({ ...p, xci95: null, hollow: false })),
      },
      ...r.entries.map((e, i) => ({
        key: `entry-${i}`,
        label: e.label,
        color: colorAt(i),
        line: false,
        points: [pointOf(e)],
      })),
    ],
  };
}

function frontierSection(r: CompareResult, chart: CurveChart): string {
  const f = r.frontier!;
  const rows = f.entries.map((x): Cell[] => {
    const e = r.entries.find((y) => y.label === x.label)!;
    return [
      wrappable(x.label),
      x.onFrontier ? { html: '<span class="badge">frontier</span>' } : 'dominated',
      fmtValue('usd', clean(e.summary.costUsd.mean)),
      fmtValue('share', clean(e.quality?.acceptableShare.mean)),
      fmtValue('ms', clean(e.summary.ttftP99.mean)),
      x.dominatedBy.length > 0 ? { html: x.dominatedBy.map((l) => wrappable(l).html).join(', ') } : '-',
    ];
  });
  return `<section id="frontier" aria-labelledby="frontier-h">
<h2 id="frontier-h">The frontier: cost, quality and latency</h2>
<p class="hint">A policy is dominated when another is at most as costly, at least as acceptable and at most as slow (p99 TTFT), and better on one of them (means over the same seeds). The cost-quality frontier, cheapest first: ${esc(f.costQuality.join(' \u2192 '))}.</p>
<div class="charts">
${figure(chart.id, chart.title, chart.note, true)}
</div>
${table({
  caption: 'Frontier (means over seeds)',
  id: 'frontier-table',
  head: ['policy', 'frontier', 'cost', 'acceptable', 'TTFT p99', 'dominated by'],
  numericFrom: 2,
  textColumns: [0, 5],
  rows,
})}
</section>`;
}

/**
 * The first seed's time series per policy: a row per policy (requests per second; p99 TTFT) on
 * value scales shared by every policy, and goodput per second of every policy overlaid.
 * Undefined when the result keeps no series.
 */
export function overTime(r: CompareResult, s: Scenario): TimeSection | undefined {
  const rows = r.entries.map((e, i) => ({ e, i, series: e.seeds.find((x) => x.series)?.series }));
  const withSeries = rows.filter((x) => x.series);
  if (withSeries.length === 0) return undefined;
  const intervalMs = withSeries[0]!.series!.intervalMs;
  if (withSeries.some((x) => x.series!.intervalMs !== intervalMs)) return undefined;
  const n = Math.max(...withSeries.map((x) => x.series!.offered.length));
  const endMs = n * intervalMs;
  const values = (xs: readonly Num[]) => xs.filter(finite);
  const rateMax = Math.max(
    0,
    ...withSeries.flatMap((x) => [
      ...values(x.series!.offered),
      ...values(x.series!.completed),
      ...values(x.series!.goodput),
    ]),
  );
  const rateDomain: [number, number] = [0, rateMax > 0 ? sig(rateMax * 1.08, 3) : 1];
  const ttfts = withSeries.flatMap((x) => values(x.series!.ttftP99)).filter((v) => v > 0);
  const ttftDomain: [number, number] =
    ttfts.length > 0
      ? [sig(Math.min(...ttfts) / 1.3, 3), sig(Math.max(Math.max(...ttfts) * 1.3, Math.min(...ttfts) * 2), 3)]
      : [1, 1000];
  const charts: TimeChart[] = [
    {
      id: 'over-goodput',
      title: 'Goodput per second, every policy',
      note: 'Completions per second that met their class\u2019s SLOs, one line per policy (the headline figure over time).',
      unit: 'rps',
      scale: 'linear',
      refLines: [],
      bandLabels: true,
      yDomain: rateDomain,
      series: withSeries.map((x) => ({
        key: x.e.label,
        label: x.e.label,
        color: colorAt(x.i),
        values: x.series!.goodput,
      })),
    },
  ];
  for (const { e, i, series } of withSeries) {
    charts.push(
      {
        id: `over-${i}-rates`,
        title: `${e.label}: requests per second`,
        note: '',
        unit: 'rps',
        scale: 'linear',
        refLines: [],
        bandLabels: false,
        yDomain: rateDomain,
        series: [
          { key: 'offered', label: 'offered', color: OKABE_ITO.black, values: series!.offered },
          { key: 'completed', label: 'completed', color: OKABE_ITO.blue, values: series!.completed },
          { key: 'goodput', label: 'goodput', color: OKABE_ITO.green, values: series!.goodput },
        ],
      },
      {
        id: `over-${i}-ttft`,
        title: `${e.label}: p99 time to first token`,
        note: '',
        unit: 'ms',
        scale: 'log',
        refLines: [],
        bandLabels: false,
        yDomain: ttftDomain,
        series: [
          { key: 'ttftP99', label: 'p99 (highest class)', color: colorAt(i), values: series!.ttftP99 },
        ],
      },
    );
  }
  return { intervalMs, n, endMs, bands: bandsOf(s, endMs), charts };
}

function overTimeSection(r: CompareResult, time: TimeSection): string {
  const seed = r.entries.flatMap((e) => e.seeds).find((x) => x.series)?.seed ?? r.seeds[0];
  const [overlay, ...multiples] = time.charts;
  const rows = r.entries
    .map((e, i) => {
      const figs = multiples.filter((c) => c.id.startsWith(`over-${i}-`));
      if (figs.length === 0) return '';
      return `<div class="charts multiples" data-entry="${esc(e.label)}">
${figs.map((c) => figure(c.id, c.title, c.note)).join('\n')}
</div>`;
    })
    .join('\n');
  return `<section id="over-time" aria-labelledby="over-time-h">
<h2 id="over-time-h">Over time (seed ${esc(String(seed))})</h2>
<div class="toolbar"><span class="hint">Seed ${esc(String(seed))} of each policy (the same offered traffic). Every row shares the same scales: requests per second, and p99 time to first token (log scale, highest class per window). Drag across any chart to zoom every chart; double-click or Reset to zoom out. Click a legend entry to hide or show a series.</span><button type="button" id="reset-zoom" hidden>Reset zoom</button></div>
<div class="stack">
${overlay ? figure(overlay.id, overlay.title, overlay.note, true) : ''}
${rows}
</div>
</section>`;
}

const sloCount = (e: EntryResult) => ({
  passed: e.seeds.reduce((a, s) => a + s.slosPassed, 0),
  total: e.slosTotal * e.seeds.length,
});

function verdictBanner(r: CompareResult): string {
  const rows = r.entries.map((e) => ({ e, ...sloCount(e) }));
  if (rows.every((x) => x.total === 0))
    return '<section class="verdict none" id="verdict" aria-label="SLO verdicts" data-pass="true"><p class="verdict-head">No SLOs defined</p></section>';
  const ok = rows.filter((x) => x.passed === x.total).length;
  const all = ok === rows.length;
  const items = rows
    .map(({ e, passed, total }) => {
      const pass = passed === total;
      return `<li class="slo ${pass ? 'pass' : 'fail'}" data-entry="${esc(e.label)}" data-pass="${pass}"><span class="badge">${pass ? 'PASS' : 'FAIL'}</span> <span class="slo-name">${esc(e.label)}</span> <span class="observed">${fmtInt(passed)} of ${fmtInt(total)} SLO checks passed (${plural(e.slosTotal, 'SLO')} x ${plural(e.seeds.length, 'seed')})</span></li>`;
    })
    .join('\n');
  return `<section class="verdict ${all ? 'pass' : 'fail'}" id="verdict" aria-label="SLO verdicts" data-pass="${all}">
<p class="verdict-head"><span class="badge${all ? '' : ' fail'}">${all ? 'PASS' : 'MIXED'}</span> ${ok} of ${plural(rows.length, 'policy', 'policies')} met every SLO on every seed</p>
<ul>
${items}
</ul>
</section>`;
}

/**
 * A policy label that wraps only after `+` or `,` and before `(`, never inside a policy's name
 * at its hyphens: `least-outstanding+` / `concurrency-limit` / `(limit=60)`.
 */
function wrappable(label: string): { html: string } {
  return {
    html: label
      .split(/(?<=[+,])|(?=\()/)
      .map((piece) => `<span class="nobr">${esc(piece)}</span>`)
      .join('<wbr>'),
  };
}

/** mean, with ± its 95% CI below it in small type (keeps the ranking's columns narrow). */
function stacked(mean: string, ci?: string): { html: string } {
  return { html: `${esc(mean)}${ci ? ` <span class="ci">± ${esc(ci)}</span>` : ''}` };
}

function rankingTable(r: CompareResult): string {
  const { figure } = OBJECTIVES[r.objective];
  const unit = FIGURE_UNITS[figure] ?? 'count';
  const classes = Object.keys(r.entries[0]?.classes ?? {});
  const hitRate = r.entries.some((e) => e.tokenHitRate);
  const est = (u: Unit, e: Estimate): Cell => {
    if (!finite(e.mean)) return '-';
    return stacked(fmtValue(u, e.mean), e.n > 1 && finite(e.ci95) ? fmtValue(u, e.ci95) : undefined);
  };
  const fleet = r.entries.some((e) => e.summary.fleetCostUsd);
  const rows = r.entries.map((e): Cell[] => {
    const v = e.vsLeader;
    const ci = (x: number) => (unit === 'share' ? `${(x * 100).toFixed(1)} pts` : fmtValue(unit, x));
    const vs: Cell = !v
      ? { html: '<span class="badge">leader</span>' }
      : {
          html: `${finite(v.mean) ? stacked(fmtDiff(unit, v.mean), v.n > 1 && finite(v.ci95) ? ci(v.ci95) : undefined).html : '-'} <span class="sig" data-significant="${v.significant}">${v.significant ? 'significant' : '~ not significant'}</span>`,
        };
    const { passed, total } = sloCount(e);
    return [
      String(e.rank),
      wrappable(e.label),
      vs,
      est('share', e.summary.goodputShare),
      est('share', e.summary.shedShare),
      est('share', e.summary.errorShare),
      est('ms', e.summary.ttftP50),
      est('ms', e.summary.ttftP99),
      ...classes.map((c) => (e.classes[c] ? est('ms', e.classes[c].ttftP99) : '-')),
      est('ratio', e.summary.amplification),
      est('usd', e.summary.costUsd),
      ...(hitRate ? [e.tokenHitRate ? est('share', e.tokenHitRate) : '-'] : []),
      ...(fleet ? [e.summary.fleetCostUsd ? est('usd', e.summary.fleetCostUsd) : '-'] : []),
      ...(e.quality
        ? [est('share', e.quality.acceptableShare), est('usd', e.quality.costPerAcceptableUsd)]
        : []),
      total > 0 ? `${fmtInt(passed)}/${fmtInt(total)}` : '-',
    ];
  });
  return table({
    caption: `Ranking by ${r.objective} (mean ± 95% CI over seeds)`,
    id: 'ranking-table',
    head: [
      'rank',
      'policy',
      `vs rank 1 (${r.objective})`,
      'goodput',
      'shed',
      'errors',
      'TTFT p50',
      'TTFT p99',
      ...classes.map((c) => `${c} TTFT p99`),
      'amplification',
      'cost',
      ...(hitRate ? ['token hit rate'] : []),
      ...(fleet ? ['fleet cost'] : []),
      ...(r.frontier ? ['acceptable', 'cost per acceptable'] : []),
      'SLO checks',
    ],
    numericFrom: 2,
    textColumns: [1],
    rows,
  });
}

function seedsTable(r: CompareResult): string {
  const { figure } = OBJECTIVES[r.objective];
  const unit = FIGURE_UNITS[figure] ?? 'count';
  const rows = r.seeds.map((seed): Cell[] => [
    String(seed),
    ...r.entries.map((e) => {
      const s = e.seeds.find((x) => x.seed === seed);
      const v = s ? clean(figureOf(s, figure as Figure)) : null;
      return fmtValue(unit, v);
    }),
  ]);
  return `<details><summary>Per-seed ${esc(r.objective)} (${plural(r.seeds.length, 'seed')} x ${plural(r.entries.length, 'policy', 'policies')})</summary>${table(
    {
      caption: `${r.objective} per seed`,
      id: 'seeds-table',
      head: ['seed', ...r.entries.map((e) => e.label)],
      rows,
    },
  )}</details>`;
}

function header(r: CompareResult, s: Scenario, o: CompareReportOptions): string {
  const { higherIsBetter } = OBJECTIVES[r.objective];
  const seeds =
    r.seeds.length > 1
      ? `${r.seeds[0]}..${r.seeds[r.seeds.length - 1]} (${r.seeds.length} seeds)`
      : String(r.seeds[0]);
  const items: [string, Cell][] = [
    ['scenario file', r.scenario],
    ['seeds', seeds],
    ['duration', `${fmtValue('ms', s.duration)} per run`],
    ['objective', `${r.objective} (${higherIsBetter ? 'higher' : 'lower'} is better)`],
    ['policies', { html: r.entries.map((e) => wrappable(e.label).html).join(', ') }],
  ];
  if (o.overrides && o.overrides.length > 0)
    items.push(['overrides', o.overrides.map((x) => `--set ${x}`).join(' ')]);
  return `<header>
<p class="kicker">Floodgate policy comparison</p>
<h1 id="title">${esc(s.name)}</h1>
${s.description ? `<p class="description">${esc(s.description)}</p>` : ''}
${facts(items)}
${verdictBanner(r)}
<p class="story" id="story">${esc(compareStory(r))}</p>
</header>`;
}

export function renderCompareReport(
  result: CompareResult,
  scenario: Scenario,
  options: CompareReportOptions = {},
): string {
  const data: CompareReportData = {
    kind: 'compare',
    glance: glanceChart(scenario),
    entries: result.entries.map((e, i) => ({ label: e.label, color: colorAt(i), rank: e.rank })),
    charts: dotCharts(result),
  };
  const time = overTime(result, scenario);
  if (time) data.time = time;
  const frontier = frontierChart(result);
  if (frontier) data.curves = [frontier];
  const hasGlance = data.glance.rate !== null || data.glance.lanes.length > 0;
  const body = `${header(result, scenario, options)}
<main>
<section id="ranking" aria-labelledby="ranking-h">
<h2 id="ranking-h">Ranking</h2>
<p class="hint">Every policy ran on the same seeds, so it met identical offered traffic. "~ not significant": the paired difference from rank 1 over the same seeds has a 95% CI that includes 0.</p>
${rankingTable(result)}
${seedsTable(result)}
</section>
<section id="figures" aria-labelledby="figures-h">
<h2 id="figures-h">Headline figures per policy</h2>
<div class="charts">
${data.charts.map((c) => figure(c.id, c.title, c.note)).join('\n')}
</div>
</section>
${frontier ? frontierSection(result, frontier) : ''}
${time ? overTimeSection(result, time) : ''}
<section id="glance" aria-labelledby="glance-h">
<h2 id="glance-h">The scenario at a glance</h2>
${hasGlance ? figure('glance', 'Arrivals and faults', 'Planned arrival rate per class (requests per second, stacked), with spikes shaded and faults per provider below.', true) : ''}
${glanceTables(scenario, 'each policy entry replaces the gateway policies it names')}
</section>
</main>
<footer>Generated by floodgate from the comparison result (${esc(result.schema)}) of ${esc(result.scenario)}. Self-contained: nothing on this page is fetched from the network.</footer>`;
  return page({ title: `${scenario.name}: floodgate policy comparison`, body, data, script: clientScript() });
}
