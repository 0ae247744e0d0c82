/// <reference lib="dom" />
/**
 * Latency distributions from the percentiles a result keeps: latency on a log x axis against the
 * percentile on a "nines" y axis (p50, p90, p99, p99.9 evenly spaced), so the tail is as visible
 * as the median. One line per class; hover a point for its value.
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import { fmtAxis, fmtMs } from '../format.ts';
import type { PercentileChart, PercentilePoint } from '../model.ts';
import { frame, legend, tickValues } from './frame.ts';
import { hideTooltip, showTooltip, tooltipHtml } from './tooltip.ts';

/** Position of each percentile on the y axis: -log10(1 - q), with max drawn above p99.9. */
const NINES: Record<string, number> = {
  min: 0,
  p50: 0.301,
  p90: 1,
  p95: 1.301,
  p99: 2,
  'p99.9': 3,
  max: 3.6,
};
const TICKS = ['min', 'p50', 'p90', 'p99', 'p99.9', 'max'];

export function percentileChart(fig: HTMLElement, chart: PercentileChart): () => void {
  const plot = fig.querySelector<HTMLElement>('.plot')!;
  const hidden = new Set<string>();
  const draw = () => {
    const f = frame(plot, 240, { top: 12, right: 16, bottom: 28, left: 48 });
    f.svg.attr('aria-label', chart.title);
    const visible = chart.series.filter((s) => !hidden.has(s.key));
    const all = visible.flatMap((s) => s.points.map((p) => p.ms));
    const lo = all.length > 0 ? Math.min(...all) : 1;
    const hi = all.length > 0 ? Math.max(...all) : 1000;
    const x = scaleLog()
      .domain([lo / 1.4, Math.max(hi * 1.4, lo * 4)])
      .range([0, f.w]);
    const y = scaleLinear().domain([-0.5, 3.7]).range([f.h, 0]);
    const xt = tickValues(x, Math.max(3, Math.floor(f.w / 70)));
    f.g
      .append('g')
      .attr('class', 'grid')
      .attr('transform', `translate(0,${f.h})`)
      .call(
        axisBottom(x)
          .tickValues(xt)
          .tickSize(-f.h)
          .tickFormat(() => ''),
      );
    f.g
      .append('g')
      .attr('class', 'axis x-axis')
      .attr('transform', `translate(0,${f.h})`)
      .call(
        axisBottom(x)
          .tickValues(xt)
          .tickFormat((v) => fmtAxis('ms', Number(v)))
          .tickSizeOuter(0),
      );
    f.g
      .append('g')
      .attr('class', 'axis y-axis')
      .call(
        axisLeft(y)
          .tickValues(TICKS.map((t) => NINES[t]!))
          .tickFormat((v) => TICKS.find((t) => NINES[t] === Number(v)) ?? '')
          .tickSizeOuter(0),
      );
    for (const s of visible) {
      const path = line<PercentilePoint>()
        .x((p) => x(p.ms))
        .y((p) => y(NINES[p.p] ?? 0));
      f.g
        .append('path')
        .attr('class', 'mark series')
        .attr('data-key', s.key)
        .attr('d', path(s.points) ?? '')
        .attr('fill', 'none')
        .attr('stroke', s.color)
        .attr('stroke-width', 1.6)
        .attr('stroke-dasharray', s.dash ?? null);
      for (const p of s.points)
        f.g
          .append('circle')
          .attr('class', 'mark point')
          .attr('data-key', s.key)
          .attr('data-p', p.p)
          .attr('cx', x(p.ms))
          .attr('cy', y(NINES[p.p] ?? 0))
          .attr('r', 3.5)
          .attr('fill', s.color)
          .attr('stroke', '#fff')
          .on('mousemove', (event: MouseEvent) =>
            showTooltip(
              tooltipHtml(chart.title, [
                { color: s.color, dash: s.dash, label: `${s.label} ${p.p}`, value: fmtMs(p.ms) },
              ]),
              event.clientX,
              event.clientY,
            ),
          )
          .on('mouseleave', hideTooltip);
    }
  };
  legend(fig.querySelector<HTMLElement>('.legend')!, chart.series, hidden, draw);
  draw();
  return draw;
}
