/**
 * The frontier reports as a reviewer sees them: the bundled CLI writes a comparison of routers
 * on a scenario with quality (the cost-vs-acceptable-share chart with its frontier) and a
 * two-parameter capacity plan (every configuration run or pruned, the cost/SLO-margin frontier);
 * headless Chromium opens each with the network blocked. Asserts: no console errors or requests,
 * every chart drawn with marks, the frontier as in the result JSON, tables without JavaScript;
 * writes screenshots to test-output/ (git-ignored).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../../src/compare/compare.ts';
import { type CapacityPlanResult, gridOutcomes } from '../../src/compare/plan.ts';
import type { SweepResult } from '../../src/compare/sweep.ts';
import { chartMarks, launchChromium, openReport } from './chromium.ts';

const ROOT = join(import.meta.dirname, '../..');
const OUT = join(ROOT, 'test-output');
const BIN = join(ROOT, 'bin/floodgate.js');
const exec = promisify(execFile);

async function floodgate(...args: string[]): Promise<string> {
  return (await exec(process.execPath, [BIN, ...args, '--quiet', '--jobs', '2'], { cwd: ROOT })).stdout;
}

const ROUTERS = [0, 0.5, 1].map((t) => `threshold-router(threshold=${t},weak=mid,strong=frontier)`);

let browser: Browser;
let dir: string;
let cmpJson: CompareResult;
let planJson: CapacityPlanResult;
let sweepJson: SweepResult;
const stdout = { cmp: '', plan: '', sweep: '' };
const f = { cmp: '', cmpJson: '', plan: '', planJson: '', sweep: '', sweepJson: '' };

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'floodgate-frontier-'));
  for (const k of Object.keys(f) as (keyof typeof f)[])
    f[k] = join(dir, `${k}.${k.endsWith('Json') ? 'json' : 'html'}`);
  stdout.cmp = await floodgate(
    'compare',
    'scenarios/model-routing.yaml',
    '--policies',
    ROUTERS.join(','),
    '--seeds',
    '2',
    '--set',
    'duration=60s',
    '--out',
    f.cmpJson,
    '--report',
    f.cmp,
  );
  stdout.plan = await floodgate(
    'capacity',
    'scenarios/gpu-pool.yaml',
    '--param',
    'providers[0].replicas=4..10',
    '--param',
    '[{providers[0].tensorParallel: 1, providers[0].costPerReplicaHour: 2.5}, {providers[0].tensorParallel: 2, providers[0].costPerReplicaHour: 5}]',
    '--seeds',
    '1',
    '--out',
    f.planJson,
    '--report',
    f.plan,
  );
  stdout.sweep = await floodgate(
    'sweep',
    'scenarios/model-routing.yaml',
    '--vary',
    'gateway.routing.params.threshold',
    '--values',
    '0,0.5,1',
    '--seeds',
    '2',
    '--set',
    'duration=60s',
    '--out',
    f.sweepJson,
    '--report',
    f.sweep,
  );
  sweepJson = JSON.parse(await readFile(f.sweepJson, 'utf8'));
  cmpJson = JSON.parse(await readFile(f.cmpJson, 'utf8'));
  planJson = JSON.parse(await readFile(f.planJson, 'utf8'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('compare report with quality in Chromium', () => {
  it('prints the frontier in the table and says where the report went', () => {
    expect(stdout.cmp).toContain('$/acceptable');
    expect(stdout.cmp).toContain('Frontier (');
    expect(stdout.cmp).toContain(
      `Cost-quality frontier, cheapest first: ${cmpJson.frontier!.costQuality.join(' -> ')}`,
    );
    expect(stdout.cmp).toContain(`report written to ${f.cmp}`);
  });

  it('draws the cost-vs-quality chart with whiskers, hollow dominated policies and the frontier line', async () => {
    const o = await openReport(browser, f.cmp);
    try {
      expect(o.problems).toEqual([]);
      const figs = await chartMarks(o.page);
      expect(figs.map((x) => x.id)).toContain('frontier-chart');
      expect(figs.map((x) => x.id)).toContain('fig-quality-acceptableShare');
      for (const x of figs) {
        expect(x.svg, x.id).toBe(true);
        expect(x.marks, x.id).toBeGreaterThan(0);
      }
      const chart = o.page.locator('figure[data-chart="frontier-chart"]');
      const dominated = cmpJson.frontier!.entries.filter((e) => !e.onFrontier).length;
      expect(await chart.locator('g.series:not([data-key="frontier"]) circle.point.miss').count()).toBe(
        dominated,
      );
      expect(await chart.locator('g.series[data-key="frontier"] path.line').count()).toBe(
        cmpJson.frontier!.costQuality.length > 1 ? 1 : 0,
      );
      // Both intervals: a vertical whisker (acceptable share) and a horizontal one (cost) per policy.
      expect(await chart.locator('path.x-whisker').count()).toBe(cmpJson.entries.length);
      expect(await o.page.locator('#frontier-table tbody tr').count()).toBe(cmpJson.entries.length);
      // A policy's tooltip names it and its cost.
      const point = chart.locator('g.series[data-key="entry-0"] circle.point');
      await point.scrollIntoViewIfNeeded();
      const box = (await point.boundingBox())!;
      await o.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const tip = o.page.locator('#tooltip');
      await expect.poll(() => tip.isVisible()).toBe(true);
      expect(await tip.locator('.tt-head').textContent()).toBe(cmpJson.entries[0]!.label);
      expect(await tip.locator('.tt-label').first().textContent()).toBe('cost per run (tokens + fleet)');
      await o.page.screenshot({ path: join(OUT, 'report-compare-frontier.png'), fullPage: true });
    } finally {
      await o.context.close();
    }
  });
});

describe('capacity plan report in Chromium', () => {
  it('says where the report went', () => {
    expect(stdout.plan).toContain(`report written to ${f.plan}`);
  });

  it('loads without errors, draws every chart with marks, and lists every probe and the whole grid', async () => {
    const o = await openReport(browser, f.plan);
    try {
      expect(o.problems).toEqual([]);
      const figs = await chartMarks(o.page);
      expect(figs.map((x) => x.id)).toEqual(['plan-frontier', 'plan-search', 'glance']);
      for (const x of figs) {
        expect(x.svg, x.id).toBe(true);
        expect(x.marks, x.id).toBeGreaterThan(0);
      }
      expect(await o.page.locator('#verdict').getAttribute('data-pass')).toBe(
        String(planJson.answer !== null),
      );
      expect(await o.page.locator('#probes-table tbody tr').count()).toBe(planJson.probes.length);
      expect(await o.page.locator('#grid-table tbody tr').count()).toBe(planJson.gridSize);
      const pruned = gridOutcomes(planJson).filter((g) => g.how === 'pruned').length;
      expect(pruned).toBe(planJson.gridSize - planJson.probed);
      expect(await o.page.locator('#grid-table [data-how="pruned"]').count()).toBe(pruned);
      // Every probe on the frontier chart; the missing ones hollow.
      const chart = o.page.locator('figure[data-chart="plan-frontier"]');
      expect(await chart.locator('g.series[data-key="probes"] circle.point').count()).toBe(
        planJson.probes.filter((p) => p.sloMargin !== null).length,
      );
      expect(await chart.locator('g.series[data-key="probes"] circle.point.miss').count()).toBe(
        planJson.probes.filter((p) => !p.pass && p.sloMargin !== null).length,
      );
      expect(await chart.locator('.ref-label').first().textContent()).toBe('SLO bound');
      await o.page.screenshot({ path: join(OUT, 'report-capacity-plan.png'), fullPage: true });
    } finally {
      await o.context.close();
    }
  });

  it('reads without JavaScript: the banner and the tables', async () => {
    const o = await openReport(browser, f.plan, false);
    try {
      expect(o.problems).toEqual([]);
      expect(await o.page.locator('#verdict .verdict-head').textContent()).toContain(
        planJson.answer ? 'the cheapest configuration' : 'No configuration',
      );
      expect(await o.page.locator('#probes-table tbody tr').count()).toBe(planJson.probes.length);
      expect(await o.page.locator('.plot > svg').count()).toBe(0);
    } finally {
      await o.context.close();
    }
  });
});

describe('sweep report over a router threshold in Chromium', () => {
  it('loads without errors and draws the cost-quality curve with every chart marked', async () => {
    expect(stdout.sweep).toContain('(no recovery block: the cost-quality curve)');
    const o = await openReport(browser, f.sweep);
    try {
      expect(o.problems).toEqual([]);
      const figs = await chartMarks(o.page);
      expect(figs.map((x) => x.id).slice(0, 3)).toEqual([
        'sweep-cost-quality',
        'sweep-acceptable',
        'sweep-cost-per-acceptable',
      ]);
      for (const x of figs) {
        expect(x.svg, x.id).toBe(true);
        expect(x.marks, x.id).toBeGreaterThan(0);
      }
      const chart = o.page.locator('figure[data-chart="sweep-cost-quality"]');
      expect(await chart.locator('circle.point').count()).toBe(sweepJson.points.length);
      expect(await chart.locator('path.line').count()).toBe(1);
      expect(await chart.locator('path.x-whisker').count()).toBe(sweepJson.points.length);
      // No regions without a recovery block: nothing shaded.
      expect(await o.page.locator('rect.x-band').count()).toBe(0);
      expect(await o.page.locator('#sweep-table tbody tr').count()).toBe(sweepJson.points.length);
      await o.page.screenshot({ path: join(OUT, 'report-sweep-quality.png'), fullPage: true });
    } finally {
      await o.context.close();
    }
  });
});
