/// <reference lib="dom" />
/**
 * Dot-and-whisker charts for comparisons: per policy (rows in rank order) the mean as a dot,
 * the 95% confidence interval as a whisker, and each seed's value as a small jittered dot; a
 * faint line marks the leader's mean. Every chart of a comparison lists the policies in the
 * same order and colours.
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleBand, scaleLinear } from 'd3-scale';
import { fmtAxis, fmtValue } from '../format.ts';
import type { CompareReportData, DotChart } from '../model.ts';
import { frame } from './frame.ts';
import { hideTooltip, showTooltip, tooltipHtml } from './tooltip.ts';

const ROW = 30;

const short = (s: string) => (s.length > 26 ? `${s.slice(0, 25)}…` : s);

export function dotChart(
  fig: HTMLElement,
  chart: DotChart,
  entries: CompareReportData['entries'],
): () => void {
  const plot = fig.querySelector<HTMLElement>('.plot')!;
  const longest = Math.max(...entries.map((e) => short(e.label).length));
  const margin = { top: 8, right: 18, bottom: 26, left: Math.min(190, 16 + longest * 6.6) };
  const draw = () => {
    const f = frame(plot, margin.top + margin.bottom + ROW * entries.length, margin);
    f.svg.attr('aria-label', chart.title);
    const vals: number[] = [];
    for (const v of chart.values) {
      if (v.mean !== null) {
        vals.push(v.mean);
        if (v.ci95 !== null) vals.push(v.mean - v.ci95, v.mean + v.ci95);
      }
      for (const s of v.seeds) if (s.value !== null) vals.push(s.value);
    }
    let lo = vals.length > 0 ? Math.min(...vals) : 0;
    let hi = vals.length > 0 ? Math.max(...vals) : 1;
    if (hi - lo < 1e-12) {
      const pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.05 : 1;
      lo -= pad;
      hi += pad;
    }
    const padX = (hi - lo) * 0.06;
    const x = scaleLinear()
      .domain([lo - padX, hi + padX])
      .range([0, f.w])
      .nice(5);
    const y = scaleBand<number>()
      .domain(entries.map((_, i) => i))
      .range([0, f.h])
      .padding(0.2);
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
    const yAxis = f.g
      .append('g')
      .attr('class', 'axis y-axis')
      .call(
        axisLeft(y)
          .tickFormat((i) => short(entries[i]!.label))
          .tickSize(0)
          .tickPadding(6),
      );
    yAxis.select('.domain').remove();
    yAxis
      .selectAll<SVGTextElement, number>('text')
      .append('title')
      .text((i) => entries[i]!.label);
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
      const cy = y(i)! + y.bandwidth() / 2;
      const g = f.g.append('g').attr('class', 'entry').attr('data-entry', e.label);
      v.seeds.forEach((s, k) => {
        if (s.value === null) return;
        const jitter = (((k * 0.618_034) % 1) - 0.5) * y.bandwidth() * 0.7;
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
