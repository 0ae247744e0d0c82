/**
 * Reports as a reviewer sees them: the bundled CLI writes a run report and a comparison report,
 * and real headless Chromium (Debian's `chromium`, driven by playwright-core) opens each with
 * every network request blocked. Asserts: no console errors or requests beyond the file itself,
 * every chart drawn with marks, the verdict banner as in the result JSON, hover tooltips with
 * the right values, legend toggles, brush zoom; writes a screenshot of each to test-output/
 * (git-ignored).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../../src/compare/compare.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { fmtPct, fmtRate } from '../../src/report/format.ts';
import { chartMarks, launchChromium, type Opened, openReport } from './chromium.ts';

const ROOT = join(import.meta.dirname, '../..');
const OUT = join(ROOT, 'test-output');
const BIN = join(ROOT, 'bin/floodgate.js');
const exec = promisify(execFile);

async function floodgate(...args: string[]): Promise<void> {
  await exec(process.execPath, [BIN, ...args, '--quiet'], { cwd: ROOT });
}

let browser: Browser;
let run: RunResult;
let cmp: CompareResult;
// Reports go to a temporary directory (test-output/ gets only the screenshots: the linter
// checks HTML files in the tree).
let dir: string;
const files = { run: '', runJson: '', cmp: '', cmpJson: '', storm: '', herd: '', long: '' };
/** Policy entries with long names (the compare report must show them whole). */
const LONG_POLICIES = [
  'least-outstanding+always-admit',
  'least-outstanding+priority-shedding(limit=160)',
  'least-outstanding+concurrency-limit(limit=60)',
];
/** Exit 3 (an SLO or recovery verdict failed): the report is written all the same. */
const verdictFailed = (e: { code?: number }) => {
  if (e.code !== 3) throw e;
};

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'floodgate-report-'));
  Object.assign(files, {
    run: join(dir, 'run.html'),
    runJson: join(dir, 'run.json'),
    cmp: join(dir, 'compare.html'),
    cmpJson: join(dir, 'compare.json'),
    storm: join(dir, 'storm.html'),
    herd: join(dir, 'herd.html'),
    long: join(dir, 'long-names.html'),
  });
  await Promise.all([
    floodgate('run', 'scenarios/quickstart.yaml', '--out', files.runJson, '--report', files.run),
    floodgate('run', 'scenarios/retry-storm.yaml', '--report', files.storm).catch(verdictFailed),
    floodgate('run', 'scenarios/thundering-herd.yaml', '--report', files.herd).catch(verdictFailed),
    floodgate(
      'compare',
      'scenarios/tab-spike.yaml',
      '--policies',
      LONG_POLICIES.join(','),
      '--seeds',
      '2',
      '--jobs',
      '2',
      '--report',
      files.long,
    ),
    floodgate(
      'compare',
      'scenarios/quickstart.yaml',
      '--policies',
      'round-robin,least-outstanding,random',
      '--seeds',
      '3',
      '--jobs',
      '2',
      '--set',
      'duration=7m',
      '--out',
      files.cmpJson,
      '--report',
      files.cmp,
    ),
  ]);
  run = JSON.parse(await readFile(files.runJson, 'utf8'));
  cmp = JSON.parse(await readFile(files.cmpJson, 'utf8'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const open = (file: string, javaScriptEnabled = true, viewport = { width: 1280, height: 900 }) =>
  openReport(browser, file, javaScriptEnabled, viewport);
const marks = chartMarks;

/**
 * Band labels (warmup, faults, spikes, the stretch until recovery) that overlap another band
 * label of their chart or leave the chart's SVG, as readable strings; and every label drawn.
 */
async function bandLabels(page: Page): Promise<{ problems: string[]; labels: Record<string, string[]> }> {
  return page.$$eval('figure.chart .plot > svg', (svgs) => {
    const problems: string[] = [];
    const labels: Record<string, string[]> = {};
    for (const svg of svgs) {
      const chart = svg.closest('figure')?.getAttribute('data-chart') ?? '?';
      const s = svg.getBoundingClientRect();
      const boxes = Array.from(svg.querySelectorAll('text.band-label')).map((t) => ({
        text: t.textContent ?? '',
        r: t.getBoundingClientRect(),
      }));
      labels[chart] = boxes.map((b) => b.text);
      for (const b of boxes)
        if (b.r.left < s.left || b.r.right > s.right) problems.push(`${chart}: "${b.text}" leaves the chart`);
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i]!.r, boxes[j]!.r];
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
            problems.push(`${chart}: "${boxes[i]!.text}" overlaps "${boxes[j]!.text}"`);
        }
    }
    return { problems, labels };
  });
}

describe('run report in Chromium', () => {
  let o: Opened;
  beforeAll(async () => {
    o = await open(files.run);
  });
  afterAll(async () => {
    await o?.context.close();
  });

  it('loads without console errors and requests nothing', () => {
    expect(o.problems).toEqual([]);
  });

  it('draws every chart with non-empty marks', async () => {
    const figs = await marks(o.page);
    expect(figs.map((f) => f.id)).toEqual([
      'glance',
      'throughput',
      'errors',
      'provider-attempts',
      'provider-errors',
      'in-flight',
      'queued',
      'ttft',
      'e2e',
      'amplification',
      'cost',
      'dist-ttft',
      'dist-tpot',
      'dist-e2e',
    ]);
    for (const f of figs) {
      expect(f.svg, f.id).toBe(true);
      expect(f.marks, f.id).toBeGreaterThan(0);
    }
  });

  it('shows a verdict banner that matches the result JSON', async () => {
    const banner = await o.page.$eval('#verdict', (el) => ({
      pass: el.getAttribute('data-pass'),
      head: el.querySelector('.verdict-head')?.textContent ?? '',
    }));
    expect(banner.pass).toBe(String(run.pass));
    expect(banner.head).toContain(`${run.slos.filter((s) => s.pass).length} of ${run.slos.length} SLOs met`);
    const items = await o.page.$$eval('#verdict li.slo', (lis) =>
      lis.map((li) => ({
        pass: li.getAttribute('data-pass'),
        badge: li.querySelector('.badge')?.textContent,
        name: li.querySelector('.slo-name')?.textContent,
      })),
    );
    expect(items).toEqual(
      run.slos.map((s) => ({ pass: String(s.pass), badge: s.pass ? 'PASS' : 'FAIL', name: s.name })),
    );
  });

  it('shows the offered rate of the window under the pointer in a tooltip', async () => {
    const fig = o.page.locator('figure[data-chart="throughput"]');
    await fig.scrollIntoViewIfNeeded();
    const box = (await fig.locator('.plot-area').boundingBox())!;
    const [d0, d1] = (await fig.locator('.plot > svg').getAttribute('data-x-domain'))!.split(',').map(Number);
    const I = run.timeseries.intervalMs;
    const i = Math.floor(270_000 / I); // inside the 3x spike
    const x = box.x + (((i + 0.5) * I - d0!) / (d1! - d0!)) * box.width;
    await o.page.mouse.move(x, box.y + box.height / 2);
    const tip = o.page.locator('#tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await tip.locator('tr[data-key="offered"] .tt-value').textContent()).toBe(
      fmtRate(run.timeseries.offered[i]! / (I / 1000)),
    );
    expect(await tip.locator('tr[data-key="goodput"] .tt-value').textContent()).toBe(
      fmtRate(run.timeseries.goodput[i]! / (I / 1000)),
    );
    expect(await tip.locator('.tt-foot').textContent()).toContain('3x spike');
    await o.page.mouse.move(5, 5);
    await expect.poll(() => tip.isVisible()).toBe(false);
  });

  it('hides and shows a series from its legend entry', async () => {
    const fig = o.page.locator('figure[data-chart="throughput"]');
    const key = fig.locator('.legend button[data-key="offered"]');
    await key.click();
    expect(await key.getAttribute('aria-pressed')).toBe('false');
    expect(await fig.locator('path.mark[data-key="offered"]').count()).toBe(0);
    await key.click();
    expect(await fig.locator('path.mark[data-key="offered"]').count()).toBe(1);
  });

  it('zooms every time chart to a brushed stretch, and back on double-click', async () => {
    const fig = o.page.locator('figure[data-chart="throughput"]');
    await fig.scrollIntoViewIfNeeded();
    const box = (await fig.locator('.plot-area').boundingBox())!;
    const y = box.y + box.height / 2;
    await o.page.mouse.move(box.x + box.width * 0.3, y);
    await o.page.mouse.down();
    await o.page.mouse.move(box.x + box.width * 0.6, y, { steps: 6 });
    await o.page.mouse.up();
    const domains = await o.page.$$eval('figure.chart .plot > svg[data-x-domain]', (svgs) =>
      svgs.map((s) => s.getAttribute('data-x-domain')),
    );
    expect(domains).toHaveLength(10);
    expect(new Set(domains).size).toBe(1);
    const [z0, z1] = domains[0]!.split(',').map(Number);
    const end = run.timeseries.startMs.length * run.timeseries.intervalMs;
    expect(Math.abs(z0! - end * 0.3)).toBeLessThan(end * 0.01);
    expect(Math.abs(z1! - end * 0.6)).toBeLessThan(end * 0.01);
    expect(await o.page.locator('#reset-zoom').isVisible()).toBe(true);
    await o.page.locator('figure[data-chart="errors"] .brush').dblclick();
    expect(await fig.locator('.plot > svg').getAttribute('data-x-domain')).toBe(`0,${end}`);
    expect(await o.page.locator('#reset-zoom').isVisible()).toBe(false);
  });

  it('prints without tooltips or buttons', async () => {
    await o.page.emulateMedia({ media: 'print' });
    expect(await o.page.locator('.toolbar').isVisible()).toBe(false);
    await o.page.emulateMedia({ media: 'screen' });
  });

  it('takes a screenshot', async () => {
    await o.page.mouse.move(5, 5);
    await o.page.screenshot({ path: join(OUT, 'report-run.png'), fullPage: true });
    expect(existsSync(join(OUT, 'report-run.png'))).toBe(true);
  });
});

describe('run report of a metastable run', () => {
  it('draws the not-recovered stretch on every time chart, without errors, and flags the banner', async () => {
    const o = await open(files.storm);
    try {
      expect(o.problems).toEqual([]);
      // Every chart shades the warmup; each time chart (all but the glance chart, which shows the
      // plan, not the outcome) shades the stretch after the brownout too.
      const warmups = await o.page.locator('rect.band-warmup').count();
      expect(warmups).toBeGreaterThan(5);
      expect(await o.page.locator('rect.band-recovery').count()).toBe(warmups - 1);
      expect(await o.page.locator('#verdict').getAttribute('data-recovery')).toBe('metastable');
      expect(await o.page.locator('#verdict li.recovery.fail').count()).toBe(1);
      // The brownout's label and the not-recovered label start 30 s apart: both shown, apart.
      const { problems, labels } = await bandLabels(o.page);
      expect(problems).toEqual([]);
      expect(labels['throughput']).toEqual([
        'warmup',
        'backend brownout 30s',
        'drain',
        'metastable: not recovered',
      ]);
      // At a glance, the 30 s brownout's label runs past its narrow box, whole.
      expect(labels['glance']).toEqual(['warmup', 'brownout']);
      await o.page.screenshot({ path: join(OUT, 'report-metastable.png'), fullPage: true });
    } finally {
      await o.context.close();
    }
  });
});

describe('band labels of three simultaneous outages and a metastable stretch (thundering-herd)', () => {
  it('draws every label in its own place, before and after zooming in', async () => {
    const o = await open(files.herd);
    try {
      expect(o.problems).toEqual([]);
      const before = await bandLabels(o.page);
      expect(before.problems).toEqual([]);
      expect(before.labels['throughput']).toEqual([
        'warmup',
        'deploy-a outage 15s',
        'deploy-b outage 15s',
        'deploy-c outage 15s',
        'drain',
        'metastable: not recovered',
      ]);
      const fig = o.page.locator('figure[data-chart="throughput"]');
      await fig.scrollIntoViewIfNeeded();
      const box = (await fig.locator('.plot-area').boundingBox())!;
      const y = box.y + box.height / 2;
      await o.page.mouse.move(box.x + box.width * 0.45, y);
      await o.page.mouse.down();
      await o.page.mouse.move(box.x + box.width * 0.7, y, { steps: 6 });
      await o.page.mouse.up();
      expect((await bandLabels(o.page)).problems).toEqual([]);
      await o.page.mouse.move(5, 5);
      await fig.screenshot({ path: join(OUT, 'report-band-labels-zoomed.png') });
    } finally {
      await o.context.close();
    }
  });
});

describe('run report without JavaScript', () => {
  it('still shows the header, verdicts and tables', async () => {
    const o = await open(files.run, false);
    try {
      expect(o.problems).toEqual([]);
      expect(await o.page.locator('h1').textContent()).toBe(run.scenario.name);
      expect(await o.page.locator('#verdict li.slo').count()).toBe(run.slos.length);
      expect(await o.page.locator('#verdict').isVisible()).toBe(true);
      expect(await o.page.locator('#provider-table tbody tr').count()).toBe(
        Object.keys(run.providers).length,
      );
      expect(await o.page.locator('#class-table tbody tr').count()).toBe(Object.keys(run.classes).length);
      expect(await o.page.locator('.plot > svg').count()).toBe(0);
    } finally {
      await o.context.close();
    }
  });
});

describe('comparison report in Chromium', () => {
  let o: Opened;
  beforeAll(async () => {
    o = await open(files.cmp);
  });
  afterAll(async () => {
    await o?.context.close();
  });

  it('loads without console errors and requests nothing', () => {
    expect(o.problems).toEqual([]);
  });

  it('draws every chart with non-empty marks', async () => {
    const figs = await marks(o.page);
    expect(figs[0]!.id).toBe('fig-goodputShare');
    expect(figs.map((f) => f.id)).toContain('glance');
    for (const f of figs) {
      expect(f.svg, f.id).toBe(true);
      expect(f.marks, f.id).toBeGreaterThan(0);
    }
  });

  it('draws the first seed over time: a row per policy on shared scales and a goodput overlay', async () => {
    expect(await o.page.locator('#over-time-h').textContent()).toBe(`Over time (seed ${cmp.seeds[0]})`);
    const figs = (await marks(o.page)).filter((f) => f.id.startsWith('over-'));
    expect(figs.map((f) => f.id)).toEqual([
      'over-goodput',
      ...cmp.entries.flatMap((_, i) => [`over-${i}-rates`, `over-${i}-ttft`]),
    ]);
    expect(figs[0]!.marks).toBe(cmp.entries.length);
    const rows = await o.page.$$eval('#over-time .multiples', (ds) =>
      ds.map((d) => [
        d.getAttribute('data-entry'),
        Array.from(d.querySelectorAll('.plot > svg .y-axis text'))
          .map((t) => t.textContent)
          .join('|'),
      ]),
    );
    expect(rows.map((r) => r[0])).toEqual(cmp.entries.map((e) => e.label));
    expect(new Set(rows.map((r) => r[1])).size).toBe(1);
    const overlay = o.page.locator('figure[data-chart="over-goodput"]');
    await overlay.scrollIntoViewIfNeeded();
    const box = (await overlay.locator('.plot-area').boundingBox())!;
    await o.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = o.page.locator('#tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await tip.locator('.tt-value').count()).toBe(cmp.entries.length);
    await o.page.mouse.move(5, 5);
  });

  it('shows a verdict per policy that matches the result JSON, and the ranking in order', async () => {
    const items = await o.page.$$eval('#verdict li.slo', (lis) =>
      lis.map((li) => [li.getAttribute('data-entry'), li.getAttribute('data-pass')]),
    );
    expect(items).toEqual(
      cmp.entries.map((e) => [
        e.label,
        String(e.seeds.reduce((a, s) => a + s.slosPassed, 0) === e.slosTotal * e.seeds.length),
      ]),
    );
    const ranking = await o.page.$$eval('#ranking-table tbody tr', (trs) =>
      trs.map((tr) => [
        tr.children[1]?.textContent,
        tr.querySelector('.sig')?.getAttribute('data-significant') ?? null,
      ]),
    );
    expect(ranking).toEqual(
      cmp.entries.map((e) => [e.label, e.vsLeader ? String(e.vsLeader.significant) : null]),
    );
  });

  it('shows the mean and CI of a policy in a tooltip', async () => {
    const leader = cmp.entries[0]!;
    const dot = o.page.locator(
      `figure[data-chart="fig-goodputShare"] g.entry[data-entry="${leader.label}"] circle.mean`,
    );
    await dot.scrollIntoViewIfNeeded();
    await dot.hover();
    const tip = o.page.locator('#tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await tip.locator('.tt-head').textContent()).toBe(`${leader.label} (rank 1)`);
    const values = await tip.locator('.tt-value').allTextContents();
    expect(values).toEqual([
      fmtPct(leader.summary.goodputShare.mean),
      fmtPct(leader.summary.goodputShare.ci95),
    ]);
  });

  it('takes a screenshot', async () => {
    await o.page.mouse.move(5, 5);
    await o.page.screenshot({ path: join(OUT, 'report-compare.png'), fullPage: true });
    expect(existsSync(join(OUT, 'report-compare.png'))).toBe(true);
  });
});

describe('comparison report with long policy names, at 1280 x 800', () => {
  it('fits the ranking table without a scrollbar and shows every policy label whole in the charts', async () => {
    const o = await open(files.long, true, { width: 1280, height: 800 });
    try {
      expect(o.problems).toEqual([]);
      const table = await o.page.$eval('#ranking-table', (t) => ({
        scroll: t.scrollWidth,
        client: t.clientWidth,
        wrapScroll: t.parentElement!.scrollWidth,
        wrapClient: t.parentElement!.clientWidth,
      }));
      expect(table.scroll).toBeLessThanOrEqual(table.client);
      expect(table.wrapScroll).toBeLessThanOrEqual(table.wrapClient);
      expect(
        await o.page.$$eval('#ranking-table tbody tr', (trs) => trs.map((tr) => tr.children[1]?.textContent)),
      ).toEqual(expect.arrayContaining(LONG_POLICIES));
      // Names wrap between a policy and the next or its parameters, never at a hyphen inside one.
      const pieces = await o.page.$$eval('#ranking-table .nobr, .facts .nobr', (spans) =>
        spans.map((x) => [x.textContent, x.getClientRects().length] as const),
      );
      expect(pieces.length).toBeGreaterThan(LONG_POLICIES.length * 2);
      expect(pieces.filter(([, lines]) => lines !== 1)).toEqual([]);
      expect(pieces.map(([t]) => t)).toContain('concurrency-limit');
      const labels = await o.page.$$eval('figure.chart .plot > svg text.entry-label', (texts) =>
        texts.map((t) => {
          const s = (t as SVGTextElement).ownerSVGElement!.getBoundingClientRect();
          const lines = Array.from(t.querySelectorAll('tspan'));
          return {
            chart: t.closest('figure')?.getAttribute('data-chart'),
            entry: t.getAttribute('data-entry'),
            shown: lines.map((l) => l.textContent).join(''),
            inside: lines.every((l) => {
              const r = l.getBoundingClientRect();
              return (
                r.width > 0 &&
                r.left >= s.left &&
                r.right <= s.right &&
                r.top >= s.top &&
                r.bottom <= s.bottom
              );
            }),
          };
        }),
      );
      const charts = await o.page.locator('figure.chart[data-chart^="fig-"]').count();
      expect(charts).toBeGreaterThan(5);
      expect(labels).toHaveLength(charts * LONG_POLICIES.length);
      for (const l of labels) {
        expect(l.shown, `${l.chart}`).toBe(l.entry);
        expect(l.inside, `${l.chart}: ${l.entry}`).toBe(true);
      }
      expect(new Set(labels.map((l) => l.entry))).toEqual(new Set(LONG_POLICIES));
      // Every figure compared is a time, share, ratio or cost: no axis runs below 0, even where
      // a wide confidence interval would (the time to recover over two seeds).
      const ticks = await o.page.$$eval('figure.chart[data-chart^="fig-"] .x-axis .tick text', (ts) =>
        ts.map((t) => t.textContent ?? ''),
      );
      expect(ticks.length).toBeGreaterThan(10);
      expect(ticks.filter((t) => /^[-−]/.test(t))).toEqual([]);
      await o.page.screenshot({ path: join(OUT, 'report-compare-long-names.png'), fullPage: true });
    } finally {
      await o.context.close();
    }
  });
});
