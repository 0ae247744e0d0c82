/**
 * The sweep and capacity reports as strings: the banner, story and tables are HTML that reads
 * without JavaScript and matches the result; the embedded data has a curve per figure with a
 * point per value (or probe); x positions come from the values; hostile text stays text.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CapacityResult, capacity } from '../../src/compare/capacity.ts';
import { describeRegions, type SweepResult, sweep } from '../../src/compare/sweep.ts';
import { xAxisOf } from '../../src/report/curves.ts';
import { renderCapacityReport, renderSweepReport } from '../../src/report/index.ts';
import type { CurveReportData } from '../../src/report/model.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/schema.ts';

const ROOT = join(import.meta.dirname, '../..');

const withoutScripts = (html: string) => html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
const text = (s: string) =>
  s
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();

function embedded(html: string): CurveReportData {
  const m = /<script id="fg-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  return JSON.parse(m![1]!) as CurveReportData;
}

function rows(html: string, id: string): string[][] {
  const t = new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(html)!;
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(t[0])![1]!;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => text(c[1]!)),
  );
}

let storm: Scenario;
let sweepResult: SweepResult;
let gpu: Scenario;
let capResult: CapacityResult;

beforeAll(async () => {
  const stormFile = join(ROOT, 'scenarios/retry-storm.yaml');
  const gpuFile = join(ROOT, 'scenarios/gpu-pool.yaml');
  storm = (await loadScenarioFile(stormFile)).scenario;
  gpu = (await loadScenarioFile(gpuFile)).scenario;
  [sweepResult, capResult] = await Promise.all([
    sweep({
      file: stormFile,
      path: 'workload.arrivals.rate',
      values: ['8/s', '20/s', '32/s'],
      seeds: [1, 2],
      jobs: 1,
      baseOverrides: [],
    }),
    capacity({
      file: gpuFile,
      path: 'providers[0].replicas',
      range: '4..12',
      maximize: false,
      seeds: [1],
      jobs: 1,
      baseOverrides: [],
      relativeTolerance: 0.02,
    }),
  ]);
});

describe('renderSweepReport', () => {
  it('writes the regions as a banner and a table that match the result, readable without JavaScript', () => {
    const html = withoutScripts(renderSweepReport(sweepResult, storm));
    expect(html).toContain('<h1 id="title">retry-storm</h1>');
    expect(text(/<p class="verdict-head">([\s\S]*?)<\/p>/.exec(html)![1]!)).toBe(
      describeRegions(sweepResult.points),
    );
    const table = rows(html, 'sweep-table');
    expect(table.map((r) => [r[0], r[1]])).toEqual(sweepResult.points.map((p) => [p.text, p.region]));
    expect(table[0]![2]).toBe(
      Object.entries(sweepResult.points[0]!.verdicts)
        .map(([v, n]) => `${v} ${n}`)
        .join(', '),
    );
    expect(html).toMatch(
      /<p class="story" id="story">workload\.arrivals\.rate took 3 values \(8\/s, 20\/s, 32\/s\)/,
    );
  });

  it('embeds load-vs-goodput, -throughput and -latency curves with a point per value and the regions shaded', () => {
    const data = embedded(renderSweepReport(sweepResult, storm));
    expect(data.kind).toBe('sweep');
    const ids = data.curves.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['sweep-goodput', 'sweep-throughput', 'sweep-latency']));
    const goodput = data.curves.find((c) => c.id === 'sweep-goodput')!;
    expect(goodput.xLabel).toBe('workload.arrivals.rate (/s)');
    expect(goodput.series[0]!.points.map((p) => [p.x, p.label])).toEqual([
      [8, '8/s'],
      [20, '20/s'],
      [32, '32/s'],
    ]);
    expect(goodput.series[0]!.points[0]!.y).toBeCloseTo(sweepResult.points[0]!.goodputShare.mean, 5);
    expect(goodput.series[0]!.points[0]!.seeds).toHaveLength(2);
    // The bands cover the axis from the first value's half-step to the last's, one per run of a region.
    const bands = goodput.xBands;
    expect(bands[0]!.x0).toBe(2);
    expect(bands[bands.length - 1]!.x1).toBe(38);
    expect(bands.map((b) => b.key)).toEqual(
      sweepResult.points.map((p) => p.region).filter((r, i, all) => i === 0 || all[i - 1] !== r),
    );
  });

  it('keeps hostile scenario names and override text as text', () => {
    const s = { ...storm, name: '</script><script>alert(1)</script>' };
    const html = renderSweepReport(sweepResult, s, { overrides: ['x=<b>'] });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('--set x=&lt;b&gt;');
  });
});

describe('renderCapacityReport', () => {
  it('states the answer and its cost, and lists every probe in the order it ran', () => {
    const html = withoutScripts(renderCapacityReport(capResult, gpu, { range: '4..12' }));
    expect(capResult.text).not.toBeNull();
    const head = text(/<p class="verdict-head">([\s\S]*?)<\/p>/.exec(html)![1]!);
    expect(head).toBe(
      `FOUND providers[0].replicas = ${capResult.text}: the smallest value meeting the SLOs on every seed`,
    );
    const table = rows(html, 'probes-table');
    expect(table.map((r) => [r[0], r[1]!.replace(' answer', ''), r[2]])).toEqual(
      capResult.probes.map((p, i) => [String(i + 1), p.text, p.pass ? 'meets' : 'misses']),
    );
    expect(table.filter((r) => r[1]!.endsWith(' answer'))).toHaveLength(1);
  });

  it('embeds the search, the load curves and the cost frontier, with the answer marked on each', () => {
    const data = embedded(renderCapacityReport(capResult, gpu));
    expect(data.curves.map((c) => c.id)).toEqual([
      'capacity-search',
      'capacity-latency',
      'capacity-throughput',
      'capacity-goodput',
      'capacity-cost',
    ]);
    for (const c of data.curves.slice(1))
      expect(c.xRefs, c.id).toEqual([expect.objectContaining({ x: capResult.value })]);
    const frontier = data.curves
      .find((c) => c.id === 'capacity-cost')!
      .series.find((s) => s.key === 'frontier')!;
    expect(frontier.points.map((p) => p.label)).toEqual(
      capResult.probes.filter((p) => p.pass).map((p) => p.text),
    );
    const search = data.curves[0]!.series[0]!.points;
    expect(search.map((p) => [p.y, p.hollow])).toEqual(capResult.probes.map((p) => [p.value, !p.pass]));
  });

  it('says so when no value passes', () => {
    const none: CapacityResult = {
      ...capResult,
      value: null,
      text: null,
      costUsd: null,
      probes: capResult.probes.map((p) => ({ ...p, pass: false, seedsPassed: 0 })),
    };
    const html = renderCapacityReport(none, gpu);
    expect(html).toContain('data-pass="false"');
    expect(text(/<p class="verdict-head">([\s\S]*?)<\/p>/.exec(html)![1]!)).toBe(
      'NONE No value of providers[0].replicas in the range meets the SLOs on every seed',
    );
    expect(embedded(html).curves[1]!.xRefs).toEqual([]);
  });
});

describe('xAxisOf', () => {
  it('places numbers with one unit on a numeric axis, anything else by index with the text as ticks', () => {
    expect(xAxisOf(['2', '4', '8'], 'replicas')).toEqual({ xs: [2, 4, 8], xLabel: 'replicas' });
    expect(xAxisOf(['10/s', '2.5/s'], 'rate')).toEqual({ xs: [10, 2.5], xLabel: 'rate (/s)' });
    expect(xAxisOf(['h100', 'a100'], 'gpu')).toEqual({
      xs: [0, 1],
      xLabel: 'gpu',
      xTicks: [
        { x: 0, label: 'h100' },
        { x: 1, label: 'a100' },
      ],
    });
    expect(xAxisOf(['10/s', '20/min'], 'rate').xTicks).toHaveLength(2);
  });
});
