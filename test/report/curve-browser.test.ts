/**
 * The sweep and capacity reports as a reviewer sees them: the bundled CLI writes them, headless
 * Chromium opens each with the network blocked. Asserts: no console errors or requests, every
 * chart drawn with marks, the banner as in the result JSON, a point's tooltip with its value,
 * legend toggles, the categorical axis of a sweep over names, and the tables without
 * JavaScript; writes screenshots to test-output/ (git-ignored).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityResult } from '../../src/compare/capacity.ts';
import { describeRegions, type SweepResult } from '../../src/compare/sweep.ts';
import { fmtPct } from '../../src/report/format.ts';
import { chartMarks, launchChromium, openReport } from './chromium.ts';

const ROOT = join(import.meta.dirname, '../..');
const OUT = join(ROOT, 'test-output');
const BIN = join(ROOT, 'bin/floodgate.js');
const exec = promisify(execFile);

async function floodgate(...args: string[]): Promise<string> {
  return (await exec(process.execPath, [BIN, ...args, '--quiet', '--jobs', '2'], { cwd: ROOT })).stdout;
}

let browser: Browser;
let dir: string;
let sweepJson: SweepResult;
let capJson: CapacityResult;
const stdout = { sweep: '', cap: '' };
const f = { sweep: '', sweepJson: '', cap: '', capJson: '', names: '' };

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'floodgate-curves-'));
  for (const k of Object.keys(f) as (keyof typeof f)[])
    f[k] = join(dir, `${k}.${k.endsWith('Json') ? 'json' : 'html'}`);
  stdout.sweep = await floodgate(
    'sweep',
    'scenarios/retry-storm.yaml',
    '--vary',
    'workload.arrivals.rate',
    '--values',
    '8/s,20/s,32/s',
    '--seeds',
    '2',
    '--out',
    f.sweepJson,
    '--report',
    f.sweep,
  );
  stdout.cap = await floodgate(
    'capacity',
    'scenarios/gpu-pool.yaml',
    '--vary',
    'providers[0].replicas',
    '--range',
    '4..12',
    '--seeds',
    '1',
    '--out',
    f.capJson,
    '--report',
    f.cap,
  );
  await floodgate(
    'sweep',
    'scenarios/retry-storm.yaml',
    '--vary',
    'gateway.routing',
    '--values',
    'round-robin,random',
    '--seeds',
    '1',
    '--report',
    f.names,
  );
  sweepJson = JSON.parse(await readFile(f.sweepJson, 'utf8'));
  capJson = JSON.parse(await readFile(f.capJson, 'utf8'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sweep and capacity --report', () => {
  it('say where the report went', () => {
    expect(stdout.sweep).toContain(`\nreport written to ${f.sweep}\n`);
    expect(stdout.cap).toContain(`\nreport written to ${f.cap}\n`);
  });
});

describe('sweep report in Chromium', () => {
  it('loads without errors, draws every chart with marks, and shows the regions of the result', async () => {
    const o = await openReport(browser, f.sweep);
    try {
      expect(o.problems).toEqual([]);
      const figs = await chartMarks(o.page);
      expect(figs.map((x) => x.id)).toEqual([
        'sweep-goodput',
        'sweep-throughput',
        'sweep-latency',
        'sweep-recovery',
        'sweep-amplification',
        'glance',
      ]);
      for (const x of figs) {
        expect(x.svg, x.id).toBe(true);
        expect(x.marks, x.id).toBeGreaterThan(0);
      }
      expect(await o.page.locator('#verdict .verdict-head').textContent()).toBe(
        describeRegions(sweepJson.points),
      );
      expect(await o.page.locator('figure[data-chart="sweep-goodput"] rect.x-band').count()).toBeGreaterThan(
        0,
      );
      // Every value is a point on the goodput curve (two series: whole run and settled).
      expect(await o.page.locator('figure[data-chart="sweep-goodput"] circle.point').count()).toBe(
        2 * sweepJson.points.length,
      );
      await o.page.screenshot({ path: join(OUT, 'report-sweep.png'), fullPage: true });
    } finally {
      await o.context.close();
    }
  });

  it("shows a value's goodput in a tooltip, and hides a series from its legend entry", async () => {
    const o = await openReport(browser, f.sweep);
    try {
      const fig = o.page.locator('figure[data-chart="sweep-goodput"]');
      const point = fig.locator('g.series[data-key="goodputShare"] circle.point').first();
      await point.scrollIntoViewIfNeeded();
      // The whole-run and settled points may coincide: the tooltip lists every series at that value.
      const box = (await point.boundingBox())!;
      await o.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const tip = o.page.locator('#tooltip');
      await expect.poll(() => tip.isVisible()).toBe(true);
      const first = sweepJson.points[0]!;
      expect(await tip.locator('.tt-head').textContent()).toBe(`workload.arrivals.rate (/s) = ${first.text}`);
      expect(await tip.locator('.tt-value').first().textContent()).toBe(
        fmtPct(Number(first.goodputShare.mean.toPrecision(6))),
      );
      await o.page.mouse.move(5, 5);
      const key = fig.locator('.legend button[data-key="endGoodputShare"]');
      await key.click();
      expect(await fig.locator('g.series[data-key="endGoodputShare"]').count()).toBe(0);
      await key.click();
      expect(await fig.locator('g.series[data-key="endGoodputShare"]').count()).toBe(1);
    } finally {
      await o.context.close();
    }
  });

  it('puts values that are names on a categorical axis, one tick each', async () => {
    const o = await openReport(browser, f.names);
    try {
      expect(o.problems).toEqual([]);
      for (const x of await chartMarks(o.page)) expect(x.marks, x.id).toBeGreaterThan(0);
      const ticks = await o.page
        .locator('figure[data-chart="sweep-goodput"] .x-axis .tick text')
        .allTextContents();
      expect(ticks).toEqual(['round-robin', 'random']);
    } finally {
      await o.context.close();
    }
  });

  it('reads without JavaScript: the banner and the table', async () => {
    const o = await openReport(browser, f.sweep, false);
    try {
      expect(o.problems).toEqual([]);
      expect(await o.page.locator('#sweep-table tbody tr').count()).toBe(sweepJson.points.length);
      expect(await o.page.locator('.plot > svg').count()).toBe(0);
    } finally {
      await o.context.close();
    }
  });
});

describe('capacity report in Chromium', () => {
  it('loads without errors, draws every chart with marks, marks the answer, and lists every probe', async () => {
    const o = await openReport(browser, f.cap);
    try {
      expect(o.problems).toEqual([]);
      const figs = await chartMarks(o.page);
      expect(figs.map((x) => x.id)).toEqual([
        'capacity-search',
        'capacity-latency',
        'capacity-throughput',
        'capacity-goodput',
        'capacity-cost',
        'glance',
      ]);
      for (const x of figs) {
        expect(x.svg, x.id).toBe(true);
        expect(x.marks, x.id).toBeGreaterThan(0);
      }
      expect(await o.page.locator('#verdict').getAttribute('data-pass')).toBe(String(capJson.value !== null));
      expect(await o.page.locator('#probes-table tbody tr').count()).toBe(capJson.probes.length);
      expect(
        await o.page.locator('figure[data-chart="capacity-cost"] .ref-label').first().textContent(),
      ).toBe(`answer ${capJson.text}`);
      // Probes that missed are hollow: as many as the result has.
      expect(await o.page.locator('figure[data-chart="capacity-search"] circle.point.miss').count()).toBe(
        capJson.probes.filter((p) => !p.pass).length,
      );
      await o.page.screenshot({ path: join(OUT, 'report-capacity.png'), fullPage: true });
      expect(existsSync(join(OUT, 'report-capacity.png'))).toBe(true);
    } finally {
      await o.context.close();
    }
  });
});
