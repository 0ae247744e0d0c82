/**
 * What the sweep and capacity reports share: the varied parameter's values placed on an x axis,
 * and curve points as mean ± 95% CI over seeds. Load-vs-latency, load-vs-throughput and
 * load-vs-goodput charts (GuideLLM's and inference-perf's) are built from these.
 */
import type { SeedFigures } from '../compare/job.ts';
import { estimate } from '../compare/stats.ts';
import type { Scenario } from '../scenario/schema.ts';
import { sig } from './format.ts';
import { esc, figure } from './html.ts';
import type { CurveChart, CurvePoint, CurveReportData, CurveSeries, Num } from './model.ts';
import { glanceTables } from './scenario-tables.ts';

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const clean = (x: unknown): Num => (finite(x) ? sig(x, 6) : null);

/**
 * The x position of each value: the number it starts with when every value is a number with the
 * same unit (`20/s`, `24/s` -> 20, 24, unit `/s`), else its index with the text as tick label.
 */
export function xAxisOf(
  texts: readonly string[],
  path: string,
): { xs: number[]; xLabel: string; xTicks?: { x: number; label: string }[] } {
  const parsed = texts.map((t) => /^\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(.*?)\s*$/i.exec(t));
  const units = new Set(parsed.map((m) => m?.[2] ?? '?'));
  if (parsed.every((m) => m !== null) && units.size === 1) {
    const unit = [...units][0]!;
    return { xs: parsed.map((m) => Number(m![1])), xLabel: unit ? `${path} (${unit})` : path };
  }
  return { xs: texts.map((_, i) => i), xLabel: path, xTicks: texts.map((label, x) => ({ x, label })) };
}

/** A curve point of one figure over seeds. */
export function pointOf(
  x: number,
  label: string,
  seeds: readonly SeedFigures[],
  figure: (s: SeedFigures) => number | null | undefined,
  extra: Partial<CurvePoint> = {},
): CurvePoint {
  const values = seeds.map((s) => figure(s) ?? null);
  const e = estimate(values.map((v) => (v === null ? Number.NaN : v)));
  return {
    x,
    label,
    y: clean(e.mean),
    ci95: e.n > 1 ? clean(e.ci95) : null,
    seeds: values.map(clean),
    ...extra,
  };
}

/** Log scale for latencies spanning more than 20x, linear otherwise. */
/**
 * The series maker of a curve report: one line over `points` (a probe or a swept value each, at
 * `xs`), a figure per seed, with `extraOf` adding a point's own marks.
 */
export function seriesOver<P extends { text: string; seeds: readonly SeedFigures[] }>(
  points: readonly P[],
  xs: readonly number[],
  extraOf: (p: P) => Partial<CurvePoint>,
) {
  return (
    key: string,
    label: string,
    color: string,
    figure: (s: SeedFigures) => number | null | undefined,
    dash?: string,
  ): CurveSeries => ({
    key,
    label,
    color,
    ...(dash ? { dash } : {}),
    line: true,
    points: points.map((p, i) => pointOf(xs[i]!, p.text, p.seeds, figure, extraOf(p))),
  });
}

export function latencyScale(points: readonly CurvePoint[]): CurveChart['scale'] {
  const ys = points.flatMap((p) => [p.y, ...p.seeds]).filter((v): v is number => v !== null && v > 0);
  return ys.length > 0 && Math.max(...ys) / Math.min(...ys) > 20 ? 'log' : 'linear';
}

/** Every chart's points have a value (a report never ships a chart with nothing to draw). */
export function hasValues(c: CurveChart): boolean {
  return c.series.some((s) => s.points.some((p) => p.y !== null));
}

/**
 * The sections the sweep and capacity reports end with: the curves over the varied parameter, and
 * the scenario at a glance as it was before the parameter was varied.
 */
/** A search's answer (capacity, a capacity plan): FOUND or NONE, its headline and detail. */
export function answerSection(found: boolean, head: string, detail: string): string {
  return `<section class="verdict ${found ? 'pass' : 'fail'}" id="verdict" aria-label="Answer" data-pass="${found}">
<p class="verdict-head"><span class="badge${found ? '' : ' fail'}">${found ? 'FOUND' : 'NONE'}</span> ${esc(head)}</p>
<p class="observed">${esc(detail)}</p>
</section>`;
}

export function curveSections(path: string, data: CurveReportData, scenario: Scenario): string {
  const hasGlance = data.glance.rate !== null || data.glance.lanes.length > 0;
  return `<section id="curves" aria-labelledby="curves-h">
<h2 id="curves-h">Over ${esc(path)}</h2>
<div class="charts">
${data.curves.map((c) => figure(c.id, c.title, c.note)).join('\n')}
</div>
</section>
<section id="glance" aria-labelledby="glance-h">
<h2 id="glance-h">The scenario at a glance</h2>
${hasGlance ? figure('glance', 'Arrivals and faults', `Planned arrival rate per class (requests per second, stacked) before ${path} is varied, with spikes shaded and faults per provider below.`, true) : ''}
${glanceTables(scenario)}
</section>`;
}
