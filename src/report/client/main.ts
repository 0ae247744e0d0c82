/// <reference lib="dom" />
/**
 * The report's browser code (bundled into one IIFE by esbuild, inlined in the page): reads the
 * embedded data (#fg-data) and draws each figure whose `data-chart` names a chart in it. The
 * page is complete without this script; it adds the charts and their interaction.
 */
import type { ReportData } from '../model.ts';
import { dotChart } from './dot-chart.ts';
import { glanceChart } from './glance-chart.ts';
import { percentileChart } from './percentile-chart.ts';
import { type TimeAxisState, timeChart } from './time-chart.ts';

function figureFor(id: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`figure[data-chart="${CSS.escape(id)}"]`);
}

function main(): void {
  const el = document.getElementById('fg-data');
  if (!el?.textContent) return;
  const data = JSON.parse(el.textContent) as ReportData;
  document.documentElement.classList.add('js');
  const redraws: (() => void)[] = [];
  const glance = figureFor('glance');
  if (glance) redraws.push(glanceChart(glance, data.glance));
  if (data.kind === 'run') {
    const reset = document.getElementById('reset-zoom');
    const axis: TimeAxisState = {
      intervalMs: data.time.intervalMs,
      n: data.time.n,
      endMs: data.time.endMs,
      bands: data.time.bands,
      domain: [0, data.time.endMs],
      redraw: [],
      onZoom: (zoomed) => {
        if (reset) reset.hidden = !zoomed;
      },
    };
    for (const c of data.time.charts) {
      const fig = figureFor(c.id);
      if (fig) axis.redraw.push(timeChart(fig, c, axis));
    }
    redraws.push(...axis.redraw);
    reset?.addEventListener('click', () => {
      axis.domain = [0, axis.endMs];
      axis.onZoom(false);
      for (const r of axis.redraw) r();
    });
    for (const c of data.percentiles) {
      const fig = figureFor(c.id);
      if (fig) redraws.push(percentileChart(fig, c));
    }
  } else {
    for (const c of data.charts) {
      const fig = figureFor(c.id);
      if (fig) redraws.push(dotChart(fig, c, data.entries));
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
