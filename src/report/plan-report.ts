/**
 * renderPlanReport: a multi-parameter capacity plan (`capacity --param`) as a self-contained HTML
 * page: the answer and its cost in the banner; every configuration of the grid, run (its seeds'
 * verdict, SLO margin, cost) or pruned (the outcome a run implies by monotonicity); the cost of
 * every run against its SLO margin with the frontier joined; and the search probe by probe.
 * Passing runs are solid green dots, missing ones hollow vermillion, so colour is never the only
 * cue.
 */
import { fmtVerdictCounts } from '../compare/job.ts';
import { type CapacityPlanResult, type GridOutcome, gridOutcomes, type PlanProbe } from '../compare/plan.ts';
import type { Scenario } from '../scenario/schema.ts';
import { clientScript } from './client-script.ts';
import { answerSection, hasValues } from './curves.ts';
import { fmtMs, fmtPct, fmtUsd, plural, sig } from './format.ts';
import { glanceChart } from './glance.ts';
import { type Cell, esc, facts, figure, page, table } from './html.ts';
import type { CurveChart, CurvePoint, CurveReportData } from './model.ts';
import { OKABE_ITO } from './palette.ts';
import { glanceTables } from './scenario-tables.ts';

export interface PlanReportOptions {
  /** The `--set` overrides (and `--target`) applied to every run, shown in the header. */
  overrides?: readonly string[];
}

/** Most grid configurations listed (a grid can hold 100 000; the search runs few of them). */
export const MAX_GRID_ROWS = 500;

const PASS = OKABE_ITO.green;
const MISS = OKABE_ITO.vermillion;

const configText = (config: Record<string, string>) =>
  Object.entries(config)
    .map(([k, v]) => (v.includes('=') ? v : `${k}=${v}`))
    .join(' ');

function mark(p: PlanProbe): Partial<CurvePoint> {
  return {
    color: p.pass ? PASS : MISS,
    hollow: !p.pass,
    note: `${p.pass ? 'meets' : 'misses'} the SLOs on ${p.seedsPassed}/${p.seeds.length} seeds`,
  };
}

const clean = (x: number | null | undefined) =>
  typeof x === 'number' && Number.isFinite(x) ? sig(x, 6) : null;

/** The charts: cost against SLO margin with the frontier, and the search probe by probe. */
export function planCurves(r: CapacityPlanResult): CurveChart[] {
  const point = (p: PlanProbe): CurvePoint => ({
    x: clean(p.meanCostUsd) ?? 0,
    label: configText(p.config),
    y: clean(p.sloMargin),
    ci95: null,
    seeds: [],
    ...mark(p),
  });
  const byKey = new Map(r.probes.map((p) => [p.key, p]));
  const frontier: CurveChart = {
    id: 'plan-frontier',
    title: 'Cost against SLO margin, and the frontier',
    note: 'Every configuration run: its cost per run (tokens + fleet, mean over seeds) and its SLO margin (the worst seed\u2019s slack on its tightest SLO, relative to the threshold; below 0 misses; margins under -100% sit on the axis floor). The line joins the frontier: no other run is both cheaper and further inside its SLOs.',
    xLabel: 'cost per run (tokens + fleet)',
    xUnit: 'usd',
    unit: 'share',
    scale: 'linear',
    fitY: true,
    yMin: -1,
    refLines: [{ value: 0, label: 'SLO bound', color: OKABE_ITO.black }],
    xRefs: [],
    xBands: [],
    series: [
      {
        key: 'frontier',
        label: 'frontier',
        color: OKABE_ITO.black,
        dash: '5 3',
        line: true,
        points: r.frontier.flatMap((f) => {
          const p = byKey.get(f.key);
          return p ? [point(p)] : [];
        }),
      },
      { key: 'probes', label: 'configurations run', color: PASS, line: false, points: r.probes.map(point) },
    ],
  };
  const search: CurveChart = {
    id: 'plan-search',
    title: 'The search, probe by probe',
    note: 'The cost of each configuration in the order the search ran it; solid: met the SLOs on every seed, hollow: missed.',
    xLabel: 'probe',
    xTicks: r.probes.map((_, i) => ({ x: i + 1, label: String(i + 1) })),
    unit: 'usd',
    scale: 'linear',
    refLines: [],
    xRefs: [],
    xBands: [],
    series: [
      {
        key: 'cost',
        label: 'cost per run',
        color: '#777',
        line: true,
        points: r.probes.map((p, i) => ({ ...point(p), x: i + 1, y: clean(p.meanCostUsd) })),
      },
    ],
  };
  return [frontier, search].filter(hasValues);
}

const marginText = (m: number | null) => (m === null ? '-' : fmtPct(m));

function verdictCell(pass: boolean | null, how: 'run' | 'pruned'): Cell {
  const word = pass === null ? 'not settled' : pass ? 'meets' : 'misses';
  const cls = pass === null ? 'unknown' : pass ? 'pass' : 'fail';
  return {
    html: `<span class="probe ${cls}" data-pass="${pass}" data-how="${how}">${word}${how === 'pruned' && pass !== null ? ' (implied)' : ''}</span>`,
  };
}

function probesTable(r: CapacityPlanResult): string {
  const answer = r.answer?.key;
  const onFrontier = new Set(r.frontier.map((f) => f.key));
  const rows = r.probes.map((p, i): Cell[] => {
    const p99 = p.seeds.map((s) => s.ttftP99).filter((v): v is number => v !== null && Number.isFinite(v));
    const goodput = p.seeds.reduce((a, s) => a + s.goodputShare, 0) / p.seeds.length;
    const badges = [
      p.key === answer ? '<span class="badge">answer</span>' : '',
      onFrontier.has(p.key) ? '<span class="badge">frontier</span>' : '',
    ].join(' ');
    return [
      String(i + 1),
      ...r.params.map((q) => p.config[q.name] ?? '-'),
      verdictCell(p.pass, 'run'),
      `${p.seedsPassed}/${p.seeds.length}`,
      marginText(p.sloMargin),
      fmtMs(p99.length ? Math.max(...p99) : null),
      fmtPct(goodput),
      fmtVerdictCounts(p.seeds) || '-',
      fmtUsd(p.meanCostUsd),
      { html: badges.trim() || '-' },
    ];
  });
  return table({
    caption: 'Every configuration run, in the order the search ran it',
    id: 'probes-table',
    head: [
      'probe',
      ...r.params.map((q) => q.name),
      'SLOs',
      'seeds passed',
      'SLO margin',
      'worst TTFT p99',
      'goodput',
      'recovery',
      'cost per run',
      '',
    ],
    numericFrom: 1 + r.params.length + 1,
    textColumns: [1 + r.params.length + 5, 1 + r.params.length + 7],
    rows,
  });
}

function gridTable(r: CapacityPlanResult, grid: GridOutcome[]): string {
  const order = new Map(r.probes.map((p, i) => [p.key, i + 1]));
  const rows = grid.map((g): Cell[] => [
    ...r.params.map((q) => g.config[q.name] ?? '-'),
    g.how === 'run' ? `run (probe ${order.get(g.key)})` : 'pruned',
    verdictCell(g.pass, g.how),
    g.impliedBy !== undefined ? `probe ${order.get(g.impliedBy)}` : '-',
  ]);
  const pruned = grid.filter((g) => g.how === 'pruned').length;
  return `<details${r.gridSize <= 60 ? ' open' : ''}><summary>The whole grid: ${plural(r.gridSize, 'configuration')}, ${r.probed} run, ${r.gridSize - r.probed} pruned${grid.length < r.gridSize ? ` (the first ${grid.length} listed, ${pruned} of them pruned)` : ''}</summary>${table(
    {
      caption: 'Every configuration of the grid, run or pruned',
      id: 'grid-table',
      head: [...r.params.map((q) => q.name), 'how', 'SLOs', 'implied by'],
      numericFrom: r.params.length + 10,
      rows,
    },
  )}</details>`;
}

function answerBanner(r: CapacityPlanResult): string {
  const found = r.answer !== null;
  const seeds = r.seeds.length;
  const head = found
    ? `${configText(r.answer!.config)}: the cheapest configuration meeting the SLOs on every seed`
    : `No configuration of the ${r.gridSize} meets the SLOs on every seed`;
  const detail = found
    ? `cost ${fmtUsd(r.answer!.costUsd)} per run (mean over ${plural(seeds, 'seed')}), SLO margin ${marginText(r.answer!.sloMargin)}; ${r.probed} of ${plural(r.gridSize, 'configuration')} run`
    : `${r.probed} of ${plural(r.gridSize, 'configuration')} run`;
  return answerSection(found, head, detail);
}

export function renderPlanReport(
  result: CapacityPlanResult,
  scenario: Scenario,
  options: PlanReportOptions = {},
): string {
  const data: CurveReportData = {
    kind: 'capacity',
    glance: glanceChart(scenario),
    curves: planCurves(result),
  };
  const params = result.params.map(
    (p) =>
      `${p.name} ${p.monotone ? `${p.options[0]}..${p.options[p.options.length - 1]}` : p.options.join(' | ')}`,
  );
  const items: [string, Cell][] = [
    ['scenario file', result.scenario],
    ['parameters', params.join('; ')],
    ['seeds', `${result.seeds.join(', ')} (every one must pass)`],
    ['configurations', `${result.gridSize} in the grid, ${result.probed} run`],
  ];
  if (options.overrides && options.overrides.length > 0)
    items.push(['overrides', options.overrides.join(' ')]);
  const hasGlance = data.glance.rate !== null || data.glance.lanes.length > 0;
  const body = `<header>
<p class="kicker">Floodgate capacity plan</p>
<h1 id="title">${esc(scenario.name)}</h1>
${scenario.description ? `<p class="description">${esc(scenario.description)}</p>` : ''}
${facts(items)}
${answerBanner(result)}
</header>
<main>
<section id="probes" aria-labelledby="probes-h">
<h2 id="probes-h">Probes</h2>
<p class="hint">A range (more is never worse) is bisected on each combination of the other parameters; a configuration at least as large as a passing one passes, and one at most as large as a failing one fails, so neither is run (pruned). A probe passes when every seed meets every SLO${result.probes.some((p) => p.seeds.some((s) => s.recovery)) ? ' and recovers from every trigger' : ''}.</p>
${probesTable(result)}
${gridTable(result, gridOutcomes(result, MAX_GRID_ROWS))}
</section>
<section id="curves" aria-labelledby="curves-h">
<h2 id="curves-h">Cost, margin and the frontier</h2>
<div class="charts">
${data.curves.map((c) => figure(c.id, c.title, c.note)).join('\n')}
</div>
</section>
<section id="glance" aria-labelledby="glance-h">
<h2 id="glance-h">The scenario at a glance</h2>
${hasGlance ? figure('glance', 'Arrivals and faults', 'Planned arrival rate per class (requests per second, stacked) before the parameters are varied, with spikes shaded and faults per provider below.', true) : ''}
${glanceTables(scenario)}
</section>
</main>
<footer>Generated by floodgate from the capacity plan (${esc(result.schema)}) of ${esc(result.scenario)}. Self-contained: nothing on this page is fetched from the network.</footer>`;
  return page({ title: `${scenario.name}: floodgate capacity plan`, body, data, script: clientScript() });
}
