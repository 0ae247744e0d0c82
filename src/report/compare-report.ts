/**
 * renderCompareReport: a comparison of policies (means with 95% CIs over the same seeds, ranked,
 * with paired significance against the leader) as a self-contained HTML page: the ranking and
 * per-seed tables in HTML, and a dot-and-whisker chart per headline figure (mean ± CI, every
 * seed's value as a small dot) drawn in the browser. A comparison keeps no time series, so it
 * has no time charts; the scenario's arrivals and faults are shown at a glance.
 */
import { type CompareResult, type EntryResult, OBJECTIVES } from '../compare/compare.ts';
import type { Estimate } from '../compare/stats.ts';
import type { Scenario } from '../scenario/schema.ts';
import { clientScript } from './client-script.ts';
import { fmtInt, fmtValue, sig, type Unit } from './format.ts';
import { glanceChart } from './glance.ts';
import { type Cell, esc, facts, figure, page, table } from './html.ts';
import type { CompareReportData, DotChart, DotValue, Num } from './model.ts';
import { colorAt } from './palette.ts';
import { glanceTables } from './scenario-tables.ts';
import { compareStory, FIGURE_UNITS, fmtDiff, fmtEstimate } from './story.ts';

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
        e.summary[f],
        e.seeds.map((s) => ({ seed: s.seed, value: s[f] })),
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
  const classes = Object.keys(r.entries[0]?.classes ?? {});
  if (classes.length > 1)
    for (const c of classes)
      for (const [f, title, unit, hib] of [
        ['ttftP99', 'p99 TTFT', 'ms', false],
        ['goodputShare', 'goodput', 'share', true],
      ] as const) {
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
      return `<li class="slo ${pass ? 'pass' : 'fail'}" data-entry="${esc(e.label)}" data-pass="${pass}"><span class="badge">${pass ? 'PASS' : 'FAIL'}</span> <span class="slo-name">${esc(e.label)}</span> <span class="observed">${fmtInt(passed)} of ${fmtInt(total)} SLO checks passed (${e.slosTotal} SLOs x ${e.seeds.length} seeds)</span></li>`;
    })
    .join('\n');
  return `<section class="verdict ${all ? 'pass' : 'fail'}" id="verdict" aria-label="SLO verdicts" data-pass="${all}">
<p class="verdict-head"><span class="badge${all ? '' : ' fail'}">${all ? 'PASS' : 'MIXED'}</span> ${ok} of ${rows.length} policies met every SLO on every seed</p>
<ul>
${items}
</ul>
</section>`;
}

function rankingTable(r: CompareResult): string {
  const { figure } = OBJECTIVES[r.objective];
  const unit = FIGURE_UNITS[figure] ?? 'count';
  const classes = Object.keys(r.entries[0]?.classes ?? {});
  const est = (u: Unit, e: Estimate) => fmtEstimate(u, { mean: e.mean, ci95: e.ci95, n: e.n });
  const rows = r.entries.map((e): Cell[] => {
    const v = e.vsLeader;
    const vs: Cell = !v
      ? { html: '<span class="badge">leader</span>' }
      : {
          html: `${esc(finite(v.mean) ? `${fmtDiff(unit, v.mean)}${v.n > 1 && finite(v.ci95) ? ` ± ${unit === 'share' ? `${(v.ci95 * 100).toFixed(1)} pts` : fmtValue(unit, v.ci95)}` : ''}` : '-')} <span class="sig" data-significant="${v.significant}">${v.significant ? 'significant' : '~ not significant'}</span>`,
        };
    const { passed, total } = sloCount(e);
    return [
      String(e.rank),
      e.label,
      vs,
      est('share', e.summary.goodputShare),
      est('share', e.summary.shedShare),
      est('share', e.summary.errorShare),
      est('ms', e.summary.ttftP50),
      est('ms', e.summary.ttftP99),
      ...classes.map((c) => (e.classes[c] ? est('ms', e.classes[c].ttftP99) : '-')),
      est('ratio', e.summary.amplification),
      est('usd', e.summary.costUsd),
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
      const v = s ? (s[figure as Figure] as number | null) : null;
      return fmtValue(unit, v);
    }),
  ]);
  return `<details><summary>Per-seed ${esc(r.objective)} (${r.seeds.length} seeds x ${r.entries.length} policies)</summary>${table(
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
    ['policies', r.entries.map((e) => e.label).join(', ')],
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
<section id="glance" aria-labelledby="glance-h">
<h2 id="glance-h">The scenario at a glance</h2>
${hasGlance ? figure('glance', 'Arrivals and faults', 'Planned arrival rate per class (requests per second, stacked), with spikes shaded and faults per provider below.', true) : ''}
${glanceTables(scenario, 'each policy entry replaces the gateway policies it names')}
</section>
</main>
<footer>Generated by floodgate from the comparison result (${esc(result.schema)}) of ${esc(result.scenario)}. Self-contained: nothing on this page is fetched from the network.</footer>`;
  return page({ title: `${scenario.name}: floodgate policy comparison`, body, data, script: clientScript() });
}
