/// <reference lib="dom" />
/**
 * Curves over a varied parameter (sweep values, capacity probes), as GuideLLM and inference-perf
 * draw load against latency, throughput and goodput: per series a line through the means in x
 * order, a vertical whisker for each 95% CI, every seed as a small dot, and the mean as a dot
 * (hollow where the point missed its SLOs). Shaded x stretches (sweep regions) and vertical
 * markers (the capacity answer) sit behind. Hover a point for its figures; click a legend entry
 * to hide a series.
 */
import { axisBottom } from 'd3-axis';
import { scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import { fmtAxis, fmtValue } from '../format.ts';
import type { CurveChart, CurvePoint } from '../model.ts';
import { frame, legend, valueAxis, type YScale } from './frame.ts';
import { hideTooltip, showTooltip, tooltipHtml } from './tooltip.ts';

const HEIGHT = 260;

function yDomain(chart: CurveChart, values: number[]): [number, number] {
  if (chart.scale === 'log') {
    const pos = values.filter((v) => v > 0);
    if (pos.length === 0) return [1, 10];
    const lo = Math.min(...pos);
    const hi = Math.max(...pos);
    return [lo / 1.5, Math.max(hi * 1.5, lo * 10)];
  }
  if (chart.fitY && values.length > 0) {
    // Values below the floor are drawn at it (the scale clamps).
    const lo = Math.max(Math.min(...values), chart.yMin ?? Number.NEGATIVE_INFINITY);
    const hi = Math.max(lo, ...values);
    const pad = hi > lo ? (hi - lo) * 0.15 : Math.max(Math.abs(hi) * 0.05, 0.01);
    // A share stays within [0, 1] unless the values leave it (an SLO margin can).
    const share = chart.unit === 'share';
    return [
      share && lo >= 0 ? Math.max(0, lo - pad) : lo - pad,
      share && hi <= 1 ? Math.min(1, hi + pad) : hi + pad,
    ];
  }
  const lo = Math.min(0, ...values);
  // A share never passes 100%, whatever its CI says.
  if (chart.unit === 'share') return [lo, 1];
  const hi = Math.max(lo, ...values);
  return [lo, hi > lo ? hi * 1.08 : lo + 1];
}

export function curveChart(fig: HTMLElement, chart: CurveChart): () => void {
  const plot = fig.querySelector<HTMLElement>('.plot')!;
  const hidden = new Set<string>();
  const draw = () => {
    const margin = { top: 16, right: 20, bottom: 40, left: 58 };
    const f = frame(plot, HEIGHT, margin);
    f.svg.attr('aria-label', chart.title);
    const shown = chart.series.filter((s) => !hidden.has(s.key));
    const xs = chart.series.flatMap((s) =>
      s.points.flatMap((p) => (p.xci95 ? [p.x - p.xci95, p.x + p.xci95] : [p.x])),
    );
    const x0 = Math.min(...xs, ...chart.xBands.map((b) => b.x0));
    const x1 = Math.max(...xs, ...chart.xBands.map((b) => b.x1));
    const pad = x1 > x0 ? (x1 - x0) * 0.04 : 1;
    const x = scaleLinear()
      .domain([x0 - (chart.xBands.length > 0 ? 0 : pad), x1 + (chart.xBands.length > 0 ? 0 : pad)])
      .range([0, f.w]);
    const values: number[] = [];
    for (const s of shown)
      for (const p of s.points) {
        if (p.y !== null) values.push(p.y, p.y + (p.ci95 ?? 0), p.y - (p.ci95 ?? 0));
        for (const v of p.seeds) if (v !== null) values.push(v);
      }
    for (const r of chart.refLines) values.push(r.value);
    const domain = yDomain(chart, values);
    const y: YScale = (chart.scale === 'log' ? scaleLog() : scaleLinear())
      .domain(domain)
      .range([f.h, 0])
      .clamp(true);
    if (chart.scale === 'linear') (y as ReturnType<typeof scaleLinear>).nice(5);
    // Shaded stretches (sweep regions), behind everything.
    const bands = f.g.append('g').attr('class', 'x-bands');
    for (const b of chart.xBands)
      bands
        .append('rect')
        .attr('class', `x-band x-band-${b.key}`)
        .attr('x', x(b.x0))
        .attr('y', 0)
        .attr('width', Math.max(1, x(b.x1) - x(b.x0)))
        .attr('height', f.h)
        .attr('fill', b.color)
        .attr('fill-opacity', 0.13)
        .append('title')
        .text(b.label);
    valueAxis(f.g, y, f.w, (v) => fmtAxis(chart.unit, v));
    const axis = axisBottom(x).tickSizeOuter(0);
    if (chart.xTicks)
      axis
        .tickValues(chart.xTicks.map((t) => t.x))
        .tickFormat((v) => chart.xTicks!.find((t) => t.x === Number(v))?.label ?? '');
    else axis.ticks(Math.max(3, Math.floor(f.w / 80)));
    const xUnit = chart.xUnit;
    if (xUnit && !chart.xTicks) axis.tickFormat((v) => fmtAxis(xUnit, Number(v)));
    f.g.append('g').attr('class', 'axis x-axis').attr('transform', `translate(0,${f.h})`).call(axis);
    f.g
      .append('text')
      .attr('class', 'axis-label')
      .attr('x', f.w / 2)
      .attr('y', f.h + 34)
      .attr('text-anchor', 'middle')
      .attr('font-size', 11)
      .attr('fill', '#5c5c5c')
      .text(chart.xLabel);
    for (const r of chart.refLines) {
      f.g
        .append('line')
        .attr('class', 'ref-line')
        .attr('x1', 0)
        .attr('x2', f.w)
        .attr('y1', y(r.value))
        .attr('y2', y(r.value))
        .attr('stroke', r.color)
        .attr('stroke-dasharray', '4 3');
      f.g
        .append('text')
        .attr('class', 'ref-label')
        .attr('x', f.w - 2)
        .attr('y', y(r.value) - 3)
        .attr('text-anchor', 'end')
        .attr('fill', r.color)
        .text(r.label);
    }
    for (const r of chart.xRefs) {
      f.g
        .append('line')
        .attr('class', 'x-ref')
        .attr('x1', x(r.x))
        .attr('x2', x(r.x))
        .attr('y1', 0)
        .attr('y2', f.h)
        .attr('stroke', r.color)
        .attr('stroke-width', 1.5)
        .attr('stroke-dasharray', '5 3');
      f.g
        .append('text')
        .attr('class', 'ref-label')
        .attr('x', Math.min(f.w - 2, x(r.x) + 4))
        .attr('y', 10)
        .attr('text-anchor', x(r.x) + 60 > f.w ? 'end' : 'start')
        .attr('fill', r.color)
        .text(r.label);
    }
    // Every shown series' value at the hovered x (points of several series may coincide).
    const tip = (event: MouseEvent, p: CurvePoint) => {
      const rows = shown.flatMap((s) => {
        const q = s.points.find((o) => o.x === p.x);
        if (!q) return [];
        const color = q.color ?? s.color;
        return [
          { key: s.key, color, dash: s.dash, label: s.label, value: fmtValue(chart.unit, q.y) },
          ...(q.ci95 !== null && q.seeds.length > 1
            ? [{ key: `${s.key}-ci`, color, label: '95% CI ±', value: fmtValue(chart.unit, q.ci95) }]
            : []),
        ];
      });
      const foot = [`${p.seeds.length} seed${p.seeds.length === 1 ? '' : 's'}`, p.note].filter(Boolean);
      if (xUnit)
        rows.unshift({
          key: 'x',
          color: '#5c5c5c',
          dash: undefined,
          label: chart.xLabel,
          value: `${fmtValue(xUnit, p.x)}${p.xci95 ? ` ± ${fmtValue(xUnit, p.xci95)}` : ''}`,
        });
      showTooltip(
        tooltipHtml(xUnit ? p.label : `${chart.xLabel} = ${p.label}`, rows, foot.join('; ')),
        event.clientX,
        event.clientY,
      );
    };
    for (const s of shown) {
      const g = f.g.append('g').attr('class', 'series').attr('data-key', s.key);
      const pts = [...s.points].filter((p) => p.y !== null).sort((a, b) => a.x - b.x);
      if (s.line && pts.length > 1)
        g.append('path')
          .attr('class', 'mark line')
          .attr('data-key', s.key)
          .attr('fill', 'none')
          .attr('stroke', s.color)
          .attr('stroke-width', 2)
          .attr('stroke-dasharray', s.dash ?? null)
          .attr(
            'd',
            line<CurvePoint>()
              .x((p) => x(p.x))
              .y((p) => y(p.y!))(pts),
          );
      for (const p of s.points) {
        const color = p.color ?? s.color;
        p.seeds.forEach((v, k) => {
          if (v === null || p.seeds.length < 2) return;
          g.append('circle')
            .attr('class', 'mark seed')
            .attr('cx', x(p.x) + (((k * 0.618_034) % 1) - 0.5) * 8)
            .attr('cy', y(v))
            .attr('r', 2.2)
            .attr('fill', color)
            .attr('fill-opacity', 0.35);
        });
        if (p.y === null) continue;
        if (p.ci95 !== null && p.ci95 > 0) {
          const a = y(p.y - p.ci95);
          const b = y(p.y + p.ci95);
          const cx = x(p.x);
          g.append('path')
            .attr('class', 'mark whisker')
            .attr('d', `M${cx - 4},${a}H${cx + 4}M${cx},${a}V${b}M${cx - 4},${b}H${cx + 4}`)
            .attr('stroke', color)
            .attr('stroke-width', 1.5)
            .attr('fill', 'none');
        }
        if (p.xci95) {
          const a = x(p.x - p.xci95);
          const b = x(p.x + p.xci95);
          const cy = y(p.y);
          g.append('path')
            .attr('class', 'mark whisker x-whisker')
            .attr('d', `M${a},${cy - 4}V${cy + 4}M${a},${cy}H${b}M${b},${cy - 4}V${cy + 4}`)
            .attr('stroke', color)
            .attr('stroke-width', 1.5)
            .attr('fill', 'none');
        }
        g.append('circle')
          .attr('class', `mark point${p.hollow ? ' miss' : ''}`)
          .attr('data-x', p.label)
          .attr('cx', x(p.x))
          .attr('cy', y(p.y))
          .attr('r', 4.5)
          .attr('fill', p.hollow ? '#fff' : color)
          .attr('stroke', color)
          .attr('stroke-width', 2)
          .on('mousemove', (event: MouseEvent) => tip(event, p))
          .on('mouseleave', hideTooltip);
        if (p.pointLabel)
          g.append('text')
            .attr('class', 'point-label')
            .attr('x', x(p.x) + 7)
            .attr('y', y(p.y) - 7)
            .attr('font-size', 10)
            .attr('fill', color)
            .text(p.pointLabel);
      }
    }
  };
  const items = chart.series.map((s) => ({ key: s.key, label: s.label, color: s.color, dash: s.dash }));
  const legendEl = fig.querySelector<HTMLElement>('.legend');
  if (legendEl && items.length > 1) legend(legendEl, items, hidden, draw);
  draw();
  return draw;
}
