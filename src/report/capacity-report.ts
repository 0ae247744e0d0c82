/**
 * renderCapacityReport: a capacity search as a self-contained HTML page: the answer and its cost
 * in the banner, every probe in the order it ran (value, seeds passed, latency, goodput,
 * recovery verdicts, cost), the search converging probe by probe, and the probes over the
 * varied parameter: load vs latency, load vs throughput, load vs goodput, and the cost of every
 * probe with the frontier (the cheapest passing value: the answer) marked. Passing probes are
 * solid green dots, missing ones hollow vermillion, so colour is never the only cue.
 */
import type { CapacityResult, Probe } from '../compare/capacity.ts';
import { fmtVerdictCounts, type SeedFigures } from '../compare/job.ts';
import type { Scenario } from '../scenario/schema.ts';
import { clientScript } from './client-script.ts';
import {
  answerSection,
  curveSections,
  hasValues,
  latencyScale,
  pointOf,
  seriesOver,
  xAxisOf,
} from './curves.ts';
import { fmtMs, fmtPct, fmtRate, fmtUsd, plural } from './format.ts';
import { glanceChart } from './glance.ts';
import { type Cell, esc, facts, page, table } from './html.ts';
import type { CurveChart, CurvePoint, CurveReportData } from './model.ts';
import { OKABE_ITO, P50_DASH } from './palette.ts';

export interface CapacityReportOptions {
  /** The search range as given (`2..32`, `10/s..200/s`). */
  range?: string;
  /** The `--set` overrides (and `--target`) applied to every run, shown in the header. */
  overrides?: readonly string[];
}

const PASS = OKABE_ITO.green;
const MISS = OKABE_ITO.vermillion;

function mark(p: Probe): Partial<CurvePoint> {
  return {
    color: p.pass ? PASS : MISS,
    hollow: !p.pass,
    note: `${p.pass ? 'meets' : 'misses'} the SLOs on ${p.seedsPassed}/${p.seeds.length} seeds`,
  };
}

/** The curves of a capacity search (see the file comment). */
export function capacityCurves(r: CapacityResult): CurveChart[] {
  const { xs, xLabel, xTicks } = xAxisOf(
    r.probes.map((p) => p.text),
    r.path,
  );
  const answerX = r.text === null ? undefined : xs[r.probes.findIndex((p) => p.text === r.text)];
  const xRefs =
    answerX === undefined ? [] : [{ x: answerX, label: `answer ${r.text}`, color: OKABE_ITO.black }];
  const base = { xLabel, ...(xTicks ? { xTicks } : {}), refLines: [], xRefs, xBands: [] };
  const series = seriesOver(r.probes, xs, mark);
  const latency = [
    series('ttftP99', 'TTFT p99', OKABE_ITO.blue, (s) => s.ttftP99),
    series('ttftP50', 'TTFT p50', OKABE_ITO.blue, (s) => s.ttftP50, P50_DASH),
  ];
  // The search itself: probe number against the value it tried.
  const search: CurveChart = {
    id: 'capacity-search',
    title: 'The search, probe by probe',
    note: `Each probe's value of ${r.path} in the order the bisection tried it; solid: met the SLOs on every seed, hollow: missed.`,
    xLabel: 'probe',
    xTicks: r.probes.map((_, i) => ({ x: i + 1, label: String(i + 1) })),
    unit: 'count',
    scale: 'linear',
    refLines: [],
    xRefs: [],
    xBands: [],
    series: [
      {
        key: 'value',
        label: r.path,
        color: '#777',
        line: true,
        points: r.probes.map((p, i) => ({
          x: i + 1,
          label: `probe ${i + 1}: ${p.text}`,
          y: xs[i]!,
          ci95: null,
          seeds: [],
          ...mark(p),
        })),
      },
    ],
  };
  const charts: CurveChart[] = [
    ...(xTicks ? [] : [search]),
    {
      id: 'capacity-latency',
      title: 'Load vs latency',
      note: 'Time to first token at each probe, p99 (solid) and p50 (dashed), mean ± 95% CI over seeds.',
      unit: 'ms',
      scale: latencyScale(latency.flatMap((s) => s.points)),
      ...base,
      series: latency,
    },
    {
      id: 'capacity-throughput',
      title: 'Load vs throughput',
      note: 'Goodput per second at each probe: completions per second that met their class\u2019s targets.',
      unit: 'rps',
      scale: 'linear',
      ...base,
      series: [series('goodputPerSec', 'goodput per second', OKABE_ITO.green, (s) => s.goodputPerSec)],
    },
    {
      id: 'capacity-goodput',
      title: 'Load vs goodput',
      note: 'Share of offered requests served within their targets at each probe.',
      unit: 'share',
      scale: 'linear',
      ...base,
      series: [series('goodputShare', 'goodput', OKABE_ITO.black, (s) => s.goodputShare)],
    },
    {
      id: 'capacity-cost',
      title: 'Cost of every probe, and the frontier',
      note: `Cost per run (tokens + fleet, mean over seeds). The frontier is the ${r.maximize ? 'largest' : 'cheapest'} value that meets the SLOs on every seed: the answer.`,
      unit: 'usd',
      scale: 'linear',
      ...base,
      series: [
        {
          ...series('costUsd', 'cost per run (hollow: misses the SLOs)', MISS, (s) => s.costUsd),
          line: false,
        },
        {
          key: 'frontier',
          label: 'passing probes',
          color: PASS,
          line: true,
          points: r.probes
            .map((p, i) => ({ p, i }))
            .filter(({ p }) => p.pass)
            .map(({ p, i }) => pointOf(xs[i]!, p.text, p.seeds, (s) => s.costUsd, mark(p))),
        },
      ],
    },
  ];
  return charts.filter(hasValues);
}

function probesTable(r: CapacityResult): string {
  const rows = r.probes.map((p, i): Cell[] => {
    const p99 = p.seeds.map((s) => s.ttftP99).filter((v): v is number => v !== null && Number.isFinite(v));
    const mean = (f: (s: SeedFigures) => number) => p.seeds.reduce((a, s) => a + f(s), 0) / p.seeds.length;
    const answer = r.text === p.text;
    return [
      String(i + 1),
      { html: `${esc(p.text)}${answer ? ' <span class="badge">answer</span>' : ''}` },
      {
        html: `<span class="probe ${p.pass ? 'pass' : 'fail'}" data-pass="${p.pass}">${p.pass ? 'meets' : 'misses'}</span>`,
      },
      `${p.seedsPassed}/${p.seeds.length}`,
      fmtMs(p99.length ? Math.max(...p99) : null),
      fmtPct(mean((s) => s.goodputShare)),
      fmtRate(mean((s) => s.goodputPerSec)),
      fmtVerdictCounts(p.seeds) || '-',
      fmtUsd(p.meanCostUsd),
    ];
  });
  return table({
    caption: 'Every probe in the order it ran',
    id: 'probes-table',
    head: [
      'probe',
      r.path,
      'SLOs',
      'seeds passed',
      'worst TTFT p99',
      'goodput',
      'goodput/s',
      'recovery',
      'cost per run',
    ],
    numericFrom: 3,
    textColumns: [7],
    rows,
  });
}

function answerBanner(r: CapacityResult): string {
  const found = r.text !== null;
  const seeds = r.probes[0]?.seeds.length ?? 0;
  const head = found
    ? `${r.path} = ${r.text}: the ${r.maximize ? 'largest' : 'smallest'} value meeting the SLOs on every seed`
    : `No value of ${r.path} in the range meets the SLOs on every seed`;
  const detail = found
    ? `cost ${fmtUsd(r.costUsd)} per run (mean over ${plural(seeds, 'seed')}), found in ${plural(r.probes.length, 'probe')}`
    : `${plural(r.probes.length, 'probe')} tried`;
  return answerSection(found, head, detail);
}

export function renderCapacityReport(
  result: CapacityResult,
  scenario: Scenario,
  options: CapacityReportOptions = {},
): string {
  const data: CurveReportData = {
    kind: 'capacity',
    glance: glanceChart(scenario),
    curves: capacityCurves(result),
  };
  const seeds = result.probes[0]?.seeds.map((s) => s.seed) ?? [];
  const items: [string, Cell][] = [
    ['scenario file', result.scenario],
    [
      'searched',
      `${result.maximize ? 'largest' : 'smallest'} ${result.path}${options.range ? ` in ${options.range}` : ''}`,
    ],
    ['seeds', `${seeds.join(', ')} (every one must pass)`],
    ['probes', String(result.probes.length)],
  ];
  if (options.overrides && options.overrides.length > 0)
    items.push(['overrides', options.overrides.join(' ')]);
  const body = `<header>
<p class="kicker">Floodgate capacity search</p>
<h1 id="title">${esc(scenario.name)}</h1>
${scenario.description ? `<p class="description">${esc(scenario.description)}</p>` : ''}
${facts(items)}
${answerBanner(result)}
</header>
<main>
<section id="probes" aria-labelledby="probes-h">
<h2 id="probes-h">Probes</h2>
<p class="hint">Bisection assumes the SLOs get ${result.maximize ? 'harder' : 'easier'} as ${esc(result.path)} grows. A probe passes when every seed meets every SLO${result.probes.some((p) => p.seeds.some((s) => s.recovery)) ? ' and recovers from every trigger' : ''}.</p>
${probesTable(result)}
</section>
${curveSections(result.path, data, scenario)}
</main>
<footer>Generated by floodgate from the capacity result (${esc(result.schema)}) of ${esc(result.scenario)}. Self-contained: nothing on this page is fetched from the network.</footer>`;
  return page({
    title: `${scenario.name}: floodgate capacity search over ${result.path}`,
    body,
    data,
    script: clientScript(),
  });
}
