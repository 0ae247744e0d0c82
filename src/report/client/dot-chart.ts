/// <reference lib="dom" />
/**
 * Dot-and-whisker charts for comparisons: per policy (rows in rank order) the mean as a dot,
 * the 95% confidence interval as a whisker, and each seed's value as a small jittered dot; a
 * faint line marks the leader's mean. Every chart of a comparison lists the policies in the
 * same order and colours.
 */
import { axisBottom } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { fmtAxis, fmtValue } from '../format.ts';
import type { CompareReportData, DotChart } from '../model.ts';
import { frame, textWidth } from './frame.ts';
import { hideTooltip, showTooltip, tooltipHtml } from './tooltip.ts';
import { type Wrapped, wrapLabel } from './wrap-label.ts';

/** Row height for a one- or two-line label; each further line adds LINE. */
const ROW = 30;
const LINE = 13;
const MAX_LINES = 3;

/**
 * Each policy's label in lines that fit a third of the chart's width (at least 90 px), measured
 * in a scratch SVG with the axis font; the left margin fits the widest line.
 */
function layoutLabels(
  plot: HTMLElement,
  entries: CompareReportData['entries'],
): { lines: Wrapped[]; left: number } {
  const maxWidth = Math.max(90, Math.min(300, (plot.clientWidth || 600) / 3));
  plot.replaceChildren();
  const scratch = select(plot).append('svg').attr('width', 10).attr('height', 10);
  const t = scratch.append('g').attr('class', 'axis').append('text').node()!;
  const width = (s: string) => {
    t.textContent = s;
    return textWidth(t, 11);
  };
  const lines = entries.map((e) => wrapLabel(e.label, width, maxWidth, MAX_LINES));
  const widest = Math.max(0, ...lines.flatMap((w) => w.lines.map(width)));
  scratch.remove();
  return { lines, left: Math.ceil(widest) + 14 };
}

export function dotChart(
  fig: HTMLElement,
  chart: DotChart,
  entries: CompareReportData['entries'],
): () => void {
  const plot = fig.querySelector<HTMLElement>('.plot')!;
  const draw = () => {
    const labels = layoutLabels(plot, entries);
    const margin = { top: 8, right: 26, bottom: 26, left: labels.left };
    const rowsH = labels.lines.reduce((a, w) => a + ROW + LINE * Math.max(0, w.lines.length - 2), 0);
    const f = frame(plot, margin.top + margin.bottom + rowsH, margin);
    f.svg.attr('aria-label', chart.title);
    const vals: number[] = [];
    // Means and seeds' values: what was measured (a CI's ends are not).
    let nonNegative = true;
    for (const v of chart.values) {
      if (v.mean !== null) {
        vals.push(v.mean);
        nonNegative &&= v.mean >= 0;
        if (v.ci95 !== null) vals.push(v.mean - v.ci95, v.mean + v.ci95);
      }
      for (const s of v.seeds)
        if (s.value !== null) {
          vals.push(s.value);
          nonNegative &&= s.value >= 0;
        }
    }
    let lo = vals.length > 0 ? Math.min(...vals) : 0;
    let hi = vals.length > 0 ? Math.max(...vals) : 1;
    if (hi - lo < 1e-12) {
      const pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.05 : 1;
      lo -= pad;
      hi += pad;
    }
    const padX = (hi - lo) * 0.06;
    // A figure that cannot be negative (a time, a share, a cost) keeps its axis at 0 or above;
    // a confidence interval reaching below 0 is cut at the axis (clamp).
    const x = scaleLinear()
      .domain([nonNegative ? Math.max(0, lo - padX) : lo - padX, hi + padX])
      .range([0, f.w])
      .nice(5)
      .clamp(true);
    // Rows as tall as their labels (f.h is their sum).
    const rowTop: number[] = [];
    const rowH: number[] = [];
    let acc = 0;
    for (const w of labels.lines) {
      const h = ROW + LINE * Math.max(0, w.lines.length - 2);
      rowTop.push(acc);
      rowH.push(h);
      acc += h;
    }
    f.g
      .append('g')
      .attr('class', 'grid')
      .attr('transform', `translate(0,${f.h})`)
      .call(
        axisBottom(x)
          .ticks(5)
          .tickSize(-f.h)
          .tickFormat(() => ''),
      );
    f.g
      .append('g')
      .attr('class', 'axis x-axis')
      .attr('transform', `translate(0,${f.h})`)
      .call(
        axisBottom(x)
          .ticks(Math.max(3, Math.floor(f.w / 80)))
          .tickFormat((v) => fmtAxis(chart.unit, Number(v)))
          .tickSizeOuter(0),
      );
    const yAxis = f.g.append('g').attr('class', 'axis y-axis');
    labels.lines.forEach((w, i) => {
      const cy = rowTop[i]! + rowH[i]! / 2;
      const text = yAxis
        .append('text')
        .attr('class', 'entry-label')
        .attr('data-entry', entries[i]!.label)
        .attr('x', -8)
        .attr('y', cy - ((w.lines.length - 1) * LINE) / 2)
        .attr('dy', '0.32em')
        .attr('text-anchor', 'end');
      w.lines.forEach((line, k) => {
        text
          .append('tspan')
          .attr('x', -8)
          .attr('dy', k === 0 ? null : LINE)
          .text(line);
      });
      if (w.cut) text.append('title').text(entries[i]!.label);
    });
    const leader = chart.values[0]?.mean;
    if (leader !== null && leader !== undefined)
      f.g
        .append('line')
        .attr('class', 'leader-line')
        .attr('x1', x(leader))
        .attr('x2', x(leader))
        .attr('y1', 0)
        .attr('y2', f.h)
        .attr('stroke', '#999')
        .attr('stroke-dasharray', '3 3');
    chart.values.forEach((v, i) => {
      const e = entries[i]!;
      const cy = rowTop[i]! + rowH[i]! / 2;
      const g = f.g.append('g').attr('class', 'entry').attr('data-entry', e.label);
      v.seeds.forEach((s, k) => {
        if (s.value === null) return;
        const jitter = (((k * 0.618_034) % 1) - 0.5) * ROW * 0.56;
        g.append('circle')
          .attr('class', 'mark seed')
          .attr('cx', x(s.value))
          .attr('cy', cy + jitter)
          .attr('r', 2.6)
          .attr('fill', e.color)
          .attr('fill-opacity', 0.4)
          .on('mousemove', (event: MouseEvent) =>
            showTooltip(
              tooltipHtml(`${e.label}, seed ${s.seed}`, [
                { color: e.color, label: chart.title, value: fmtValue(chart.unit, s.value) },
              ]),
              event.clientX,
              event.clientY,
            ),
          )
          .on('mouseleave', hideTooltip);
      });
      if (v.mean === null) return;
      const ci = v.ci95 ?? 0;
      const a = x(v.mean - ci);
      const b = x(v.mean + ci);
      g.append('path')
        .attr('class', 'mark whisker')
        .attr('d', `M${a},${cy - 5}V${cy + 5}M${a},${cy}H${b}M${b},${cy - 5}V${cy + 5}`)
        .attr('stroke', e.color)
        .attr('stroke-width', 2)
        .attr('fill', 'none');
      g.append('circle')
        .attr('class', 'mark mean')
        .attr('cx', x(v.mean))
        .attr('cy', cy)
        .attr('r', 5.5)
        .attr('fill', e.color)
        .attr('stroke', '#fff')
        .attr('stroke-width', 1.5)
        .on('mousemove', (event: MouseEvent) =>
          showTooltip(
            tooltipHtml(
              `${e.label} (rank ${e.rank})`,
              [
                { color: e.color, label: 'mean', value: fmtValue(chart.unit, v.mean) },
                { color: e.color, label: '95% CI ±', value: v.n > 1 ? fmtValue(chart.unit, v.ci95) : '-' },
              ],
              `${v.n} seed${v.n === 1 ? '' : 's'}`,
            ),
            event.clientX,
            event.clientY,
          ),
        )
        .on('mouseleave', hideTooltip);
    });
  };
  draw();
  return draw;
}
