/// <reference lib="dom" />
/**
 * Time charts on one shared time axis: lines per series over the run's windows, bands shaded,
 * SLO reference lines, a hover read-out of every visible series at the window under the
 * pointer, legend toggles, and a brush that zooms every time chart to the dragged stretch.
 */
import { type BrushBehavior, brushX, type D3BrushEvent } from 'd3-brush';
import { scaleLinear, scaleLog } from 'd3-scale';
import { pointer } from 'd3-selection';
import { line } from 'd3-shape';
import { fmtAxis, fmtClock, fmtValue } from '../format.ts';
import type { Band, TimeChart } from '../model.ts';
import { clip, frame, legend, shadeBands, timeAxis, valueAxis, type YScale } from './frame.ts';
import { spreadLabels } from './lanes.ts';
import { hideTooltip, showTooltip, type TooltipRow, tooltipHtml } from './tooltip.ts';

/** The shared time axis: the visible stretch of the run, and every chart drawn on it. */
export interface TimeAxisState {
  intervalMs: number;
  n: number;
  endMs: number;
  bands: Band[];
  domain: [number, number];
  redraw: (() => void)[];
  onZoom: (zoomed: boolean) => void;
}

const MARGIN = { top: 24, right: 100, bottom: 24, left: 56 };
const HEIGHT = 210;

/** Draws `chart` into its figure and registers it with the shared axis; returns its redraw. */
export function timeChart(fig: HTMLElement, chart: TimeChart, axis: TimeAxisState): () => void {
  const plot = fig.querySelector<HTMLElement>('.plot')!;
  const hidden = new Set<string>();
  const draw = () => {
    const f = frame(plot, HEIGHT, MARGIN);
    f.svg.attr('aria-label', chart.title).attr('data-x-domain', axis.domain.join(','));
    const I = axis.intervalMs;
    const x = scaleLinear().domain(axis.domain).range([0, f.w]);
    const visible = chart.series.filter((s) => !hidden.has(s.key));
    const [t0, t1] = axis.domain;
    const i0 = Math.max(0, Math.floor(t0 / I) - 1);
    const i1 = Math.min(axis.n, Math.ceil(t1 / I) + 1);
    const log = chart.scale === 'log';
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const s of visible)
      for (let i = i0; i < i1; i++) {
        const v = s.values[i];
        if (v === null || v === undefined || (log && v <= 0)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    for (const r of chart.refLines) {
      lo = Math.min(lo, r.value);
      hi = Math.max(hi, r.value);
    }
    let y: YScale;
    if (chart.yDomain) {
      y = (log ? scaleLog() : scaleLinear()).domain(chart.yDomain).range([f.h, 0]);
    } else if (log) {
      if (!Number.isFinite(lo)) [lo, hi] = [1, 1000];
      y = scaleLog()
        .domain([lo / 1.3, Math.max(hi * 1.3, lo * 2)])
        .range([f.h, 0]);
    } else {
      if (!Number.isFinite(hi)) [lo, hi] = [0, 1];
      y = scaleLinear()
        .domain([Math.min(0, lo), hi > 0 ? hi * 1.08 : 1])
        .range([f.h, 0])
        .nice(5);
    }
    valueAxis(f.g, y, f.w, (v) => fmtAxis(chart.unit, v));
    const bandLabels = shadeBands(f, x, axis.bands, chart.bandLabels);
    timeAxis(f.g, x, f.h, f.w);
    const clipUrl = clip(f);
    const lines = f.g.append('g').attr('clip-path', clipUrl);
    // Limits at the same height (two classes' SLOs) get their labels moved apart.
    const labelYs = spreadLabels(
      chart.refLines.map((r) => y(r.value) + 3),
      11,
      8,
      f.h + 3,
    );
    chart.refLines.forEach((r, k) => {
      const yy = y(r.value);
      lines
        .append('line')
        .attr('class', 'ref')
        .attr('x1', 0)
        .attr('x2', f.w)
        .attr('y1', yy)
        .attr('y2', yy)
        .attr('stroke', r.color)
        .attr('stroke-dasharray', '1 3')
        .attr('stroke-width', 1.5);
      f.g
        .append('text')
        .attr('class', 'ref-label')
        .attr('x', f.w + 4)
        .attr('y', labelYs[k]!)
        .attr('fill', r.color)
        .text(r.label.length > 18 ? `${r.label.slice(0, 17)}…` : r.label)
        .append('title')
        .text(r.label);
    });
    for (const s of visible) {
      const pts: [number, number | null][] = [];
      for (let i = i0; i < i1; i++) pts.push([(i + 0.5) * I, s.values[i] ?? null]);
      const path = line<[number, number | null]>()
        .defined((d) => d[1] !== null && (!log || d[1] > 0))
        .x((d) => x(d[0]))
        .y((d) => y(d[1] as number));
      lines
        .append('path')
        .attr('class', 'mark series')
        .attr('data-key', s.key)
        .attr('d', path(pts) ?? '')
        .attr('fill', 'none')
        .attr('stroke', s.color)
        .attr('stroke-width', 1.6)
        .attr('stroke-linejoin', 'round')
        .attr('stroke-dasharray', s.dash ?? null);
    }
    bandLabels.raise();
    f.g
      .append('rect')
      .attr('class', 'plot-area')
      .attr('width', f.w)
      .attr('height', f.h)
      .attr('fill', 'none')
      .attr('pointer-events', 'none');
    const hover = f.g
      .append('line')
      .attr('class', 'hover-line')
      .attr('y1', 0)
      .attr('y2', f.h)
      .attr('visibility', 'hidden');
    const brush: BrushBehavior<unknown> = brushX<unknown>()
      .extent([
        [0, 0],
        [f.w, f.h],
      ])
      .on('end', (event: D3BrushEvent<unknown>) => {
        const sel = event.selection as [number, number] | null;
        if (!sel || !event.sourceEvent) return;
        if (sel[1] - sel[0] < 3) return;
        const a = x.invert(sel[0]);
        const b = x.invert(sel[1]);
        axis.domain = [Math.max(0, a), Math.min(axis.endMs, Math.max(b, a + I))];
        axis.onZoom(true);
        for (const r of axis.redraw) r();
      });
    const bg = f.g.append('g').attr('class', 'brush').call(brush);
    bg.on('dblclick', () => {
      axis.domain = [0, axis.endMs];
      axis.onZoom(false);
      for (const r of axis.redraw) r();
    });
    bg.on('mousemove.tip', (event: MouseEvent) => {
      const [mx] = pointer(event, f.g.node());
      const t = x.invert(mx);
      const i = Math.max(0, Math.min(axis.n - 1, Math.floor(t / I)));
      hover
        .attr('x1', x((i + 0.5) * I))
        .attr('x2', x((i + 0.5) * I))
        .attr('visibility', 'visible');
      const rows: TooltipRow[] = visible.map((s) => ({
        key: s.key,
        color: s.color,
        dash: s.dash,
        label: s.label,
        value: fmtValue(chart.unit, s.values[i] ?? null),
      }));
      const during = axis.bands
        .filter((b) => b.startMs < (i + 1) * I && b.endMs > i * I)
        .map((b) => b.label)
        .join(', ');
      showTooltip(
        tooltipHtml(
          `${chart.title}, ${fmtClock(i * I)} to ${fmtClock((i + 1) * I)}`,
          rows,
          during || undefined,
        ),
        event.clientX,
        event.clientY,
      );
    });
    bg.on('mouseleave.tip', () => {
      hover.attr('visibility', 'hidden');
      hideTooltip();
    });
  };
  legend(fig.querySelector<HTMLElement>('.legend')!, chart.series, hidden, draw);
  draw();
  return draw;
}
