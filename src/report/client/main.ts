/// <reference lib="dom" />
/**
 * The report's browser code (bundled into one IIFE by esbuild, inlined in the page): reads the
 * embedded data (#fg-data) and draws each figure whose `data-chart` names a chart in it. The
 * page is complete without this script; it adds the charts and their interaction.
 */
import type { ReportData, TimeSection } from '../model.ts';
import { curveChart } from './curve-chart.ts';
import { dotChart } from './dot-chart.ts';
import { glanceChart } from './glance-chart.ts';
import { percentileChart } from './percentile-chart.ts';
import { type TimeAxisState, timeChart } from './time-chart.ts';

function figureFor(id: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`figure[data-chart="${CSS.escape(id)}"]`);
}

/** Draws the time charts on one shared axis (brush zoom, reset button); returns their redraws. */
function timeSection(time: TimeSection): (() => void)[] {
  const reset = document.getElementById('reset-zoom');
  const axis: TimeAxisState = {
    intervalMs: time.intervalMs,
    n: time.n,
    endMs: time.endMs,
    bands: time.bands,
    domain: [0, time.endMs],
    redraw: [],
    onZoom: (zoomed) => {
      if (reset) reset.hidden = !zoomed;
    },
  };
  for (const c of time.charts) {
    const fig = figureFor(c.id);
    if (fig) axis.redraw.push(timeChart(fig, c, axis));
  }
  reset?.addEventListener('click', () => {
    axis.domain = [0, axis.endMs];
    axis.onZoom(false);
    for (const r of axis.redraw) r();
  });
  return axis.redraw;
}

function main(): void {
  const el = document.getElementById('fg-data');
  if (!el?.textContent) return;
  const data = JSON.parse(el.textContent) as ReportData;
  document.documentElement.classList.add('js');
  const redraws: (() => void)[] = [];
  const glance = figureFor('glance');
  if (glance) redraws.push(glanceChart(glance, data.glance));
  if ('time' in data && data.time) redraws.push(...timeSection(data.time));
  if (data.kind === 'sweep' || data.kind === 'capacity') {
    for (const c of data.curves) {
      const fig = figureFor(c.id);
      if (fig) redraws.push(curveChart(fig, c));
    }
  } else if (data.kind === 'run') {
    for (const c of data.percentiles) {
      const fig = figureFor(c.id);
      if (fig) redraws.push(percentileChart(fig, c));
    }
  } else if (data.kind === 'compare') {
    for (const c of data.charts) {
      const fig = figureFor(c.id);
      if (fig) redraws.push(dotChart(fig, c, data.entries));
    }
    for (const c of data.curves ?? []) {
      const fig = figureFor(c.id);
      if (fig) redraws.push(curveChart(fig, c));
    }
  }
  let pending = 0;
  let width = window.innerWidth;
  window.addEventListener('resize', () => {
    if (window.innerWidth === width) return;
    width = window.innerWidth;
    window.clearTimeout(pending);
    pending = window.setTimeout(() => {
      for (const r of redraws) r();
    }, 150);
  });
}

main();
