/// <reference lib="dom" />
/**
 * The scenario at a glance: the planned arrival rate per class, stacked, with spikes and warmup
 * shaded, and one lane per faulty provider with its fault windows. Hover reads the rate at a
 * time or a fault's details.
 */
import { bisectLeft } from 'd3-array';
import { scaleLinear } from 'd3-scale';
import { pointer } from 'd3-selection';
import { area } from 'd3-shape';
import { fmtAxis, fmtClock, fmtRate } from '../format.ts';
import type { GlanceChart } from '../model.ts';
import { fitText, frame, hatch, legend, shadeBands, timeAxis, valueAxis } from './frame.ts';
import { hideTooltip, showTooltip, tooltipHtml } from './tooltip.ts';

const LANE = 22;

export function glanceChart(fig: HTMLElement, chart: GlanceChart): () => void {
  const plot = fig.querySelector<HTMLElement>('.plot')!;
  const hidden = new Set<string>();
  const longest = Math.max(0, ...chart.lanes.map((l) => l.provider.length));
  const margin = { top: 24, right: 100, bottom: 24, left: Math.max(56, Math.min(160, 12 + longest * 6.5)) };
  const draw = () => {
    const rateH = chart.rate ? 150 : 0;
    const lanesH = chart.lanes.length * LANE + (chart.lanes.length > 0 ? 10 : 0);
    const f = frame(plot, margin.top + margin.bottom + rateH + lanesH, margin);
    f.svg.attr('aria-label', 'Arrivals and faults');
    const x = scaleLinear().domain([0, chart.durationMs]).range([0, f.w]);
    if (chart.rate) {
      const rate = chart.rate;
      const series = rate.series.filter((s) => !hidden.has(s.key));
      // Stack the classes: each sample's lower and upper bound.
      const stacked = series.map(() => rate.tMs.map(() => [0, 0] as [number, number]));
      rate.tMs.forEach((_, j) => {
        let acc = 0;
        series.forEach((s, k) => {
          const v = s.values[j] ?? 0;
          stacked[k]![j] = [acc, acc + v];
          acc += v;
        });
      });
      const top = Math.max(1e-9, ...stacked.flatMap((s) => s.map((p) => p[1])));
      const y = scaleLinear()
        .domain([0, top * 1.1])
        .range([rateH, 0])
        .nice(4);
      const rg = f.g.append('g');
      valueAxis(rg, y, f.w, (v) => fmtAxis('rps', v), 4);
      const bandLabels = shadeBands({ ...f, g: rg, h: rateH }, x, chart.bands, true);
      series.forEach((s, k) => {
        const a = area<number>()
          .x((j) => x(rate.tMs[j]!))
          .y0((j) => y(stacked[k]![j]![0]))
          .y1((j) => y(stacked[k]![j]![1]));
        rg.append('path')
          .attr('class', 'mark area')
          .attr('data-key', s.key)
          .attr('d', a(rate.tMs.map((_, j) => j)) ?? '')
          .attr('fill', s.color)
          .attr('fill-opacity', 0.55)
          .attr('stroke', s.color)
          .attr('stroke-width', 1);
      });
      bandLabels.raise();
      rg.append('rect')
        .attr('width', f.w)
        .attr('height', rateH)
        .attr('fill', 'transparent')
        .on('mousemove', (event: MouseEvent) => {
          const [mx] = pointer(event, rg.node());
          const t = x.invert(mx);
          const j = Math.min(rate.tMs.length - 1, bisectLeft(rate.tMs, t));
          const rows = series.map((s) => ({
            color: s.color,
            label: s.label,
            value: fmtRate(s.values[j] ?? null),
          }));
          const total = series.reduce((acc, s) => acc + (s.values[j] ?? 0), 0);
          showTooltip(
            tooltipHtml(
              `${rate.observed ? 'Offered' : 'Planned'} rate at ${fmtClock(rate.tMs[j]!)}`,
              rows,
              `total ${fmtRate(total)}`,
            ),
            event.clientX,
            event.clientY,
          );
        })
        .on('mouseleave', hideTooltip);
    }
    if (chart.lanes.length > 0) {
      const fill = hatch(f.svg);
      const lg = f.g.append('g').attr('transform', `translate(0,${rateH + 10})`);
      chart.lanes.forEach((lane, k) => {
        const yy = k * LANE;
        lg.append('line')
          .attr('class', 'lane')
          .attr('x1', 0)
          .attr('x2', f.w)
          .attr('y1', yy + LANE / 2)
          .attr('y2', yy + LANE / 2)
          .attr('stroke', '#e3e3e3');
        fitText(
          lg
            .append('text')
            .attr('class', 'lane-label')
            .attr('x', -6)
            .attr('y', yy + LANE / 2 + 4)
            .attr('text-anchor', 'end')
            .text(lane.provider)
            .node()!,
          margin.left - 10,
        );
        // Labels may run past a brief fault's box, up to the next fault in the lane (shortened
        // with an ellipsis, full text in the tooltip, when even that is too little room).
        const faults = [...lane.faults].sort((a, b) => a.startMs - b.startMs);
        faults.forEach((fault, k) => {
          const x0 = x(fault.startMs);
          const x1 = x(Math.min(chart.durationMs, fault.endMs));
          lg.append('rect')
            .attr('class', 'mark fault')
            .attr('x', x0)
            .attr('y', yy + 3)
            .attr('width', Math.max(2, x1 - x0))
            .attr('height', LANE - 6)
            .attr('fill', fill)
            .attr('stroke', '#D55E00')
            .on('mousemove', (event: MouseEvent) =>
              showTooltip(tooltipHtml(fault.detail, []), event.clientX, event.clientY),
            )
            .on('mouseleave', hideTooltip);
          const next = faults[k + 1];
          const room = Math.max(x1, next ? x(next.startMs) : f.w) - x0 - 8;
          if (room > 8)
            fitText(
              lg
                .append('text')
                .attr('class', 'band-label')
                .attr('x', x0 + 4)
                .attr('y', yy + LANE / 2 + 4)
                .attr('pointer-events', 'none')
                .text(fault.label)
                .node()!,
              room,
            );
        });
      });
    }
    timeAxis(f.g, x, f.h, f.w);
  };
  if (chart.rate) legend(fig.querySelector<HTMLElement>('.legend')!, chart.rate.series, hidden, draw, true);
  draw();
  return draw;
}
