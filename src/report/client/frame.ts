/// <reference lib="dom" />
/**
 * Shared chart plumbing: an SVG sized to its container (scaled by viewBox, so print and narrow
 * windows keep the drawing whole), y grid lines, the time axis ticks, band shading and the
 * legend with toggles.
 */
import { type Axis, axisBottom, axisLeft } from 'd3-axis';
import type { ScaleLinear, ScaleLogarithmic } from 'd3-scale';
import { type Selection, select } from 'd3-selection';
import { fmtDuration } from '../format.ts';
import type { Band } from '../model.ts';
import { labelLanes } from './lanes.ts';
import { esc } from './tooltip.ts';

export type G = Selection<SVGGElement, unknown, null, undefined>;
export type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
export type YScale = ScaleLinear<number, number> | ScaleLogarithmic<number, number>;

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface Frame {
  svg: Svg;
  /** The plot area's group, translated by the margins. */
  g: G;
  /** Plot area size. */
  w: number;
  h: number;
}

let uid = 0;
/** A page-unique id for clip paths and patterns. */
export function nextId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Clears `container` and draws an SVG `height` tall, as wide as the container. */
export function frame(container: HTMLElement, height: number, m: Margin): Frame {
  const width = Math.max(320, Math.round(container.clientWidth || 900));
  container.replaceChildren();
  const svg = select(container)
    .append('svg')
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img') as Svg;
  const g = svg.append('g').attr('transform', `translate(${m.left},${m.top})`) as G;
  return { svg, g, w: width - m.left - m.right, h: height - m.top - m.bottom };
}

/** Round time steps for the time axis, in ms. */
const STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
].map((s) => s * 1000);

/** Tick times on [t0, t1]: round durations, about `count` of them. */
export function timeTicks(t0: number, t1: number, count: number): number[] {
  const span = Math.max(1, t1 - t0);
  const step = STEPS.find((s) => span / s <= count) ?? Math.ceil(span / count / 86_400_000) * 86_400_000;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

/** The time axis at the bottom of a plot. */
export function timeAxis(g: G, x: ScaleLinear<number, number>, h: number, w: number): void {
  const [t0, t1] = x.domain() as [number, number];
  const axis = axisBottom(x)
    .tickValues(timeTicks(t0, t1, Math.max(3, Math.floor(w / 90))))
    .tickFormat((t) => fmtDuration(Number(t)))
    .tickSizeOuter(0);
  g.append('g').attr('class', 'axis x-axis').attr('transform', `translate(0,${h})`).call(axis);
}

/** A left value axis with light grid lines across the plot. */
export function valueAxis(g: G, y: YScale, w: number, format: (v: number) => string, count = 5): void {
  const ticks = tickValues(y, count);
  const axis = (axisLeft(y as ScaleLinear<number, number>) as Axis<number>)
    .tickValues(ticks)
    .tickFormat((v) => format(Number(v)))
    .tickSizeOuter(0);
  g.append('g').attr('class', 'axis y-axis').call(axis);
  g.append('g')
    .attr('class', 'grid')
    .call(
      (axisLeft(y as ScaleLinear<number, number>) as Axis<number>)
        .tickValues(ticks)
        .tickSize(-w)
        .tickFormat(() => ''),
    );
}

/** Ticks for linear scales, and 1-2-5 ticks (thinned) for log scales. */
export function tickValues(y: YScale, count: number): number[] {
  if (!('base' in y)) return (y as ScaleLinear<number, number>).ticks(count);
  const [lo, hi] = y.domain() as [number, number];
  const all: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) all.push(v);
    }
  if (all.length <= count + 2) return all;
  const decades = all.filter((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9);
  return decades.length >= 2 ? decades : all.filter((_, i) => i % 2 === 0);
}

const BAND_FILL: Record<Band['kind'], string> = {
  warmup: 'rgba(0,0,0,0.06)',
  drain: 'rgba(0,0,0,0.05)',
  spike: 'rgba(230,159,0,0.16)',
  burst: 'rgba(230,159,0,0.12)',
  fault: '',
  recovery: 'rgba(204,121,167,0.2)',
};

/** A diagonal hatch pattern (faults) in this SVG's defs; returns its fill url. */
export function hatch(svg: Svg, color = '#D55E00'): string {
  const id = nextId('hatch');
  const p = svg
    .append('defs')
    .append('pattern')
    .attr('id', id)
    .attr('patternUnits', 'userSpaceOnUse')
    .attr('width', 6)
    .attr('height', 6)
    .attr('patternTransform', 'rotate(45)');
  p.append('rect').attr('width', 6).attr('height', 6).attr('fill', 'rgba(213,94,0,0.07)');
  p.append('line')
    .attr('x1', 0)
    .attr('y1', 0)
    .attr('x2', 0)
    .attr('y2', 6)
    .attr('stroke', color)
    .attr('stroke-opacity', 0.35)
    .attr('stroke-width', 2);
  return `url(#${id})`;
}

/** At most this many rows of band labels; a label that finds no room keeps its band's tooltip. */
const LABEL_LANES = 4;
const LANE_PX = 11;

/**
 * The laid-out width of an SVG text element; estimated from its length (`fontPx` per character
 * times 0.6) when the browser has not laid it out (a hidden chart).
 */
export function textWidth(t: SVGGraphicsElement, fontPx = 10): number {
  const w = t.getBBox().width;
  return w > 0 ? w : (t.textContent?.length ?? 0) * fontPx * 0.6;
}

/**
 * Shortens a text element's text with an ellipsis until it is at most `maxWidth` wide (the full
 * text goes to its tooltip); removes it when not even one character fits. Returns whether it stayed.
 */
export function fitText(t: SVGTextElement, maxWidth: number): boolean {
  const full = t.textContent ?? '';
  if (textWidth(t) <= maxWidth) return true;
  let n = full.length - 1;
  while (n > 0) {
    t.textContent = `${full.slice(0, n).trimEnd()}…`;
    if (textWidth(t) <= maxWidth) break;
    n--;
  }
  if (n === 0) {
    t.remove();
    return false;
  }
  select(t).append('title').text(full);
  return true;
}

/**
 * Shades `bands` over the plot (clipped to the visible time range), optionally labelled. Labels
 * sit in lanes at the top so that none covers another (labelLanes), and inside the plot's width;
 * returns their group, for the caller to raise above its lines.
 */
export function shadeBands(
  f: Frame,
  x: ScaleLinear<number, number>,
  bands: readonly Band[],
  label: boolean,
): G {
  const fault = bands.some((b) => b.kind === 'fault') ? hatch(f.svg) : '';
  const [t0, t1] = x.domain() as [number, number];
  const layer = f.g.append('g').attr('class', 'bands');
  const texts = f.g.append('g').attr('class', 'band-labels').attr('pointer-events', 'none');
  const labels: { el: SVGTextElement; x: number; width: number }[] = [];
  for (const b of bands) {
    if (b.endMs <= t0 || b.startMs >= t1) continue;
    const x0 = x(Math.max(b.startMs, t0));
    const x1 = x(Math.min(b.endMs, t1));
    const r = layer
      .append('rect')
      .attr('class', `band band-${b.kind}`)
      .attr('x', x0)
      .attr('y', 0)
      .attr('width', Math.max(1, x1 - x0))
      .attr('height', f.h)
      .attr('fill', b.kind === 'fault' ? fault : BAND_FILL[b.kind]);
    r.append('title').text(`${b.label}: ${fmtDuration(b.startMs)} to ${fmtDuration(b.endMs)}`);
    if (label && x1 - x0 > 4) {
      const el = texts.append('text').attr('class', 'band-label').text(b.label).node()!;
      const width = textWidth(el);
      labels.push({ el, x: Math.max(0, Math.min(x0 + 3, f.w - width)), width });
    }
  }
  const lanes = labelLanes(labels, Math.max(1, Math.min(LABEL_LANES, Math.floor(f.h / 3 / LANE_PX))));
  labels.forEach((l, i) => {
    const lane = lanes[i];
    if (lane === null || lane === undefined) l.el.remove();
    else
      select(l.el)
        .attr('x', l.x)
        .attr('y', 10 + LANE_PX * lane);
  });
  return texts;
}

/** Adds a clip path of the plot area to the SVG; returns its url. */
export function clip(f: Frame): string {
  const id = nextId('clip');
  f.svg
    .append('clipPath')
    .attr('id', id)
    .append('rect')
    .attr('x', 0)
    .attr('y', -2)
    .attr('width', f.w)
    .attr('height', f.h + 4);
  return `url(#${id})`;
}

/** A swatch for legends: a short line, solid or dashed. */
export function swatch(color: string, dash?: string, area = false): string {
  return area
    ? `<svg viewBox="0 0 22 10" aria-hidden="true"><rect x="1" y="1" width="20" height="8" fill="${esc(color)}" fill-opacity="0.6" stroke="${esc(color)}"/></svg>`
    : `<svg viewBox="0 0 22 10" aria-hidden="true"><line x1="1" x2="21" y1="5" y2="5" stroke="${esc(color)}" stroke-width="2.5"${
        dash ? ` stroke-dasharray="${esc(dash)}"` : ''
      }/></svg>`;
}

/**
 * Fills a figure's legend with one toggle button per series; `onToggle` redraws. Hidden keys
 * live in `hidden`.
 */
export function legend(
  container: HTMLElement,
  items: readonly { key: string; label: string; color: string; dash?: string | undefined }[],
  hidden: Set<string>,
  onToggle: () => void,
  area = false,
): void {
  container.replaceChildren();
  for (const it of items) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset['key'] = it.key;
    b.setAttribute('aria-pressed', String(!hidden.has(it.key)));
    b.title = 'Show or hide this series';
    b.innerHTML = `${swatch(it.color, it.dash, area)}<span>${esc(it.label)}</span>`;
    b.addEventListener('click', () => {
      if (hidden.has(it.key)) hidden.delete(it.key);
      else hidden.add(it.key);
      b.setAttribute('aria-pressed', String(!hidden.has(it.key)));
      onToggle();
    });
    container.append(b);
  }
}
