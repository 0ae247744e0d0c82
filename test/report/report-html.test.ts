/**
 * The HTML report as a string: the header, verdicts, story and tables are real HTML (readable
 * without JavaScript), nothing refers to the network, the embedded chart data is well formed,
 * and a 24-hour run still gives a report under 3 MB.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CompareResult, compare } from '../../src/compare/compare.ts';
import { parsePolicyList } from '../../src/compare/policy-spec.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { MAX_POINTS } from '../../src/report/downsample.ts';
import { fmtInt } from '../../src/report/format.ts';
import { renderCompareReport, renderRunReport } from '../../src/report/index.ts';
import type { CompareReportData, RunReportData } from '../../src/report/model.ts';
import { type LoadedScenario, loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const ROOT = join(import.meta.dirname, '../..');
const QUICKSTART = join(ROOT, 'scenarios/quickstart.yaml');
const MB3 = 3 * 1024 * 1024;

/** The page as a browser without JavaScript shows it: every <script> removed. */
const withoutScripts = (html: string) => html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
const text = (s: string) =>
  s
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

function embedded<T>(html: string): T {
  const m = /<script id="fg-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  expect(m, 'embedded data').not.toBeNull();
  return JSON.parse(m![1]!) as T;
}

/** Rows of the table with this id: each row's cells as text. */
function rows(html: string, id: string): string[][] {
  const t = new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(html);
  expect(t, `table #${id}`).not.toBeNull();
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(t![0])![1]!;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => text(c[1]!)),
  );
}

let loaded: LoadedScenario;
let result: RunResult;
let html: string;

beforeAll(async () => {
  loaded = await loadScenarioFile(QUICKSTART);
  result = await simulate(loaded, {});
  html = renderRunReport(result, loaded.scenario);
});

describe('renderRunReport(result, scenario)', () => {
  it('writes the header, verdicts, story and tables as HTML, readable without JavaScript', () => {
    const page = withoutScripts(html);
    expect(page).toContain('<h1 id="title">quickstart</h1>');
    expect(page).toContain('Tab spike and a primary-provider outage on two hosted APIs.');
    const verdicts = [
      ...page.matchAll(
        /<li class="slo (pass|fail)" data-slo-index="(\d+)" data-pass="(true|false)"><span class="badge">(PASS|FAIL)<\/span> <span class="slo-name">([^<]*)<\/span>/g,
      ),
    ];
    expect(verdicts).toHaveLength(result.slos.length);
    for (const v of verdicts) {
      const slo = result.slos[Number(v[2])]!;
      expect(v[3]).toBe(String(slo.pass));
      expect(v[4]).toBe(slo.pass ? 'PASS' : 'FAIL');
      expect(text(v[5]!)).toBe(slo.name);
    }
    expect(page).toMatch(
      new RegExp(`<section class="verdict ${result.pass ? 'pass' : 'fail'}" id="verdict"`),
    );
    // The cascade verdict: one item per trigger, with its verdict and evidence.
    const recovery = [
      ...page.matchAll(
        /<li class="recovery (pass|fail)" data-trigger-index="(\d+)" data-verdict="(\w+)"[^>]*>([\s\S]*?)<\/li>/g,
      ),
    ];
    expect(recovery.map((m) => m[3])).toEqual(result.recovery!.triggers.map((t) => t.verdict));
    expect(text(recovery[0]![4]!)).toContain(result.recovery!.triggers[0]!.reason);
    expect(text(/<p class="verdict-head">([\s\S]*?)<\/p>/.exec(page)![1]!)).toBe(
      'PASS 4 of 4 SLOs met · recovered from 1, stable through 1 of 2 triggers',
    );
    const story = text(/<p class="story" id="story">([\s\S]*?)<\/p>/.exec(page)![1]!);
    expect(story).toContain('The 3x spike at 4m');
    // The spike's first window after it ended was already healthy: no "after 0.00 ms".
    expect(result.recovery!.triggers[0]!.recoveredAfterMs).toBe(0);
    expect(text(recovery[0]![4]!)).toContain('3x spike (4.0 min–5.8 min): recovered immediately');
    expect(story).toContain('Recovery: it was healthy again as soon as 3x spike ended and it rode through');
    expect(text(recovery[0]![4]!)).not.toContain('0.00 ms');
    expect(page).toContain('<dt>traffic</dt><dd>34,663 requests, 2 classes, 2 providers</dd>');
    expect(story).toContain('The fast-api outage from 6m to 8m');
    expect(story).toContain(`${fmtInt(result.requests.offered)} requests arrived`);
    expect(rows(page, 'requests-table')[0]).toEqual(['offered', fmtInt(result.requests.offered), '100.0%']);
    expect(rows(page, 'class-table').map((r) => r[0])).toEqual(Object.keys(result.classes));
    const providers = rows(page, 'provider-table');
    expect(providers.map((r) => [r[0], r[2]])).toEqual(
      Object.entries(result.providers).map(([name, p]) => [name, fmtInt(p.attempts)]),
    );
    // The scenario at a glance: providers with their limits and prices, classes, faults.
    expect(page).toContain('10k rpm, 10M input TPM, 1M output TPM');
    expect(page).toContain('every attempt fails fast (503)');
  });

  it('refers to nothing outside the file', () => {
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|\bsrc\s*=|@import|url\(\s*['"]?(https?:|\/\/)/i);
    expect(html).not.toMatch(/href\s*=\s*["']?(https?:|\/\/)/i);
    // The inline script cannot end its element early.
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(2);
  });

  it('embeds a figure for every chart, series as long as the windows, and the fault and spike bands', () => {
    const data = embedded<RunReportData>(html);
    expect(data.kind).toBe('run');
    expect(data.time.n).toBe(result.timeseries.startMs.length);
    expect(data.time.intervalMs).toBe(result.timeseries.intervalMs);
    for (const c of data.time.charts) {
      expect(html).toContain(`data-chart="${c.id}"`);
      for (const s of c.series) expect(s.values).toHaveLength(data.time.n);
    }
    expect(data.time.charts.map((c) => c.id)).toEqual([
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
    ]);
    expect(data.time.bands.map((b) => [b.kind, b.startMs, b.endMs])).toEqual([
      ['warmup', 0, 60_000],
      ['spike', 240_000, 350_000],
      ['fault', 360_000, 480_000],
      ['drain', 720_000, expect.any(Number)],
    ]);
    expect(data.glance.lanes).toEqual([
      { provider: 'fast-api', faults: [expect.objectContaining({ startMs: 360_000, endMs: 480_000 })] },
    ]);
    // Planned rate: 40/s base, 3x at the spike's height, split 75/25 between tab and chat.
    const at = (t: number) => data.glance.rate!.tMs.indexOf(t);
    expect(data.glance.rate!.series.map((s) => s.values[at(120_000)])).toEqual([30, 10]);
    expect(data.glance.rate!.series.map((s) => s.values[at(300_000)])).toEqual([90, 30]);
  });
});

describe('the cascade verdict in the report', () => {
  it('shades the stretch after a trigger the run never recovered from, and says so in the banner and story', async () => {
    const storm = await loadScenarioFile(join(ROOT, 'scenarios/retry-storm.yaml'));
    const r = await simulate(storm, {});
    const page = renderRunReport(r, storm.scenario);
    const t = r.recovery!.triggers[0]!;
    expect(t.verdict).toBe('metastable');
    const band = embedded<RunReportData>(page).time.bands.find((b) => b.kind === 'recovery');
    expect(band).toEqual({
      kind: 'recovery',
      label: 'metastable: not recovered',
      startMs: t.endMs,
      endMs: t.horizonMs,
    });
    const head = text(/<p class="verdict-head">([\s\S]*?)<\/p>/.exec(page)![1]!);
    expect(head).toBe('FAIL 0 of 1 SLO met · metastable after its trigger');
    expect(page).toContain('<dt>traffic</dt><dd>16,209 requests, 1 class, 1 provider</dd>');
    expect(page).toContain('<td>latency x3, no errors</td>');
    expect(page).toMatch(/<section class="verdict fail" id="verdict"[^>]* data-recovery="metastable"/);
    expect(text(/<p class="story" id="story">([\s\S]*?)<\/p>/.exec(page)![1]!)).toContain(
      'Recovery: it stayed down after backend brownout ended, a metastable failure',
    );
  });
});

describe('a recovery that took a while', () => {
  it('says how long in the verdict, the band and the story, as a duration is written', async () => {
    const budget = await loadScenarioFile(join(ROOT, 'scenarios/retry-storm.yaml'), {
      overrides: [{ path: 'workload.client.retries.budget', value: { kind: 'token-bucket' } }],
    });
    const r = await simulate(budget, {});
    expect(r.recovery!.triggers[0]!.recoveredAfterMs).toBe(90_000);
    const page = renderRunReport(r, budget.scenario);
    const item = text(/<li class="recovery[^>]*>([\s\S]*?)<\/li>/.exec(page)![1]!);
    expect(item).toContain('backend brownout (3.0 min–3.5 min): recovered after 1m30s');
    expect(embedded<RunReportData>(page).time.bands.find((b) => b.kind === 'recovery')!.label).toBe(
      'recovering 1m30s',
    );
    expect(text(/<p class="story" id="story">([\s\S]*?)<\/p>/.exec(page)![1]!)).toContain(
      'Recovery: it was healthy again 1m30s after backend brownout ended.',
    );
  });
});

describe('words and counts in the report', () => {
  it('says one of a thing in the singular, "no jitter" and "all N of its attempts"', async () => {
    const herd = await loadScenarioFile(join(ROOT, 'scenarios/thundering-herd.yaml'));
    const page = renderRunReport(await simulate(herd, {}), herd.scenario);
    expect(page).toContain('<dt>traffic</dt><dd>8,954 requests, 1 class, 3 providers</dd>');
    expect(page).toContain('backoff 1.00 s x2 (cap 8.00 s, no jitter)');
    const story = text(/<p class="story" id="story">([\s\S]*?)<\/p>/.exec(page)![1]!);
    expect(story).toContain('The deploy-a outage from 2m to 2m15s: all 93 of its attempts failed');
    expect(story).toContain('The SLO fails: goodputShare >= 85% (observed 53.0%).');
    expect(story).not.toMatch(/\b1 (requests|classes|providers|SLOs|seeds|bursts|attempts)\b/);
  });

  it('prints nested policy parameters as a scenario writes them, not as JSON', async () => {
    const failover = await loadScenarioFile(join(ROOT, 'scenarios/outage-failover.yaml'));
    const page = renderRunReport(await simulate(failover, {}), failover.scenario);
    expect(page).toContain(
      '<dt>routing</dt><dd>rate-limit-aware(limits={primary: {rpm: 4500, tpm: 9000000}, secondary: {rpm: 540, tpm: 900000}, gpu-pool: {rpm: 600}})</dd>',
    );
  });
});

describe('tables and notes that read as words', () => {
  it('heads the GPU details in words, keeps text columns left-aligned, and says when no attempt failed', async () => {
    const stale = await loadScenarioFile(join(ROOT, 'scenarios/stale-metrics.yaml'));
    const page = renderRunReport(await simulate(stale, {}), stale.scenario);
    const head = /<table id="provider-details-table">[\s\S]*?<thead><tr>([\s\S]*?)<\/tr>/.exec(page)![1]!;
    expect([...head.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1])).toEqual([
      'provider',
      'replicas',
      'time model',
      'KV capacity (tokens per replica)',
      'iterations',
      'preemptions',
      'prefix cache hits',
      'replica-hours up',
      'fleet cost',
    ]);
    expect(head).toContain('<th scope="col">time model</th>');
    const charts = embedded<RunReportData>(page).time.charts;
    expect(charts.find((c) => c.id === 'provider-errors')!.note).toBe(
      'No attempt failed at any provider (no 429s, 5xx, timeouts or cut streams).',
    );
  });

  it('gives every GPU pool its own details, also those only a later pool has', async () => {
    const stale = await loadScenarioFile(join(ROOT, 'scenarios/stale-metrics.yaml'));
    const run = await simulate(stale, {});
    const [name, pool] = Object.entries(run.providers).find(([, p]) => p.details)!;
    // A second pool after the first, with a detail the first lacks (as a disaggregated pool has).
    const later = { ...pool, details: { ...pool.details!, prefillReplicas: 3, timeModel: 'fitted' } };
    const page = renderRunReport(
      { ...run, providers: { ...run.providers, [`${name}-b`]: later } },
      stale.scenario,
    );
    const head = /<table id="provider-details-table">[\s\S]*?<thead><tr>([\s\S]*?)<\/tr>/.exec(page)![1]!;
    expect([...head.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1])).toContain('prefill replicas');
    const table = rows(page, 'provider-details-table');
    expect(table.map((r) => r[0])).toEqual([name, `${name}-b`]);
    // The first pool has no such detail: a dash, not a missing cell.
    expect(table[0]!.at(-1)).toBe('-');
    expect(table[1]!.at(-1)).toBe('3');
  });

  it('says a run that ended within a second of its last arrival "drained within a second"', () => {
    const quick = renderRunReport({ ...result, endMs: result.durationMs + 300 }, loaded.scenario);
    expect(quick).toContain('<dt>duration</dt><dd>12m (first 1m warmup), drained within a second</dd>');
    expect(html).toContain('<dt>duration</dt><dd>12m (first 1m warmup), drained to 12m9s</dd>');
  });
});

describe('policy rejections in the report', () => {
  it('tables them by policy and reason, escaping reasons (they come from policy code)', () => {
    // Quickstart's sheds are tries that waited past the gateway queue's maxWait (retried by clients).
    expect(rows(withoutScripts(html), 'rejections-table')).toEqual([
      ['gateway-queue', 'queue', 'max-wait', '2,261', '6.5%'],
    ]);
    const withRejections: RunResult = {
      ...result,
      rejections: [
        { policy: 'concurrency-limit', kind: 'admission', reason: 'over-limit', count: 98 },
        { policy: 'round-robin', kind: 'routing', reason: '<img src=x onerror=alert(1)>', count: 2 },
      ],
    };
    const page = withoutScripts(renderRunReport(withRejections, loaded.scenario));
    expect(rows(page, 'rejections-table')).toEqual([
      ['concurrency-limit', 'admission', 'over-limit', '98', '0.3%'],
      ['round-robin', 'routing', '<img src=x onerror=alert(1)>', '2', '0.006%'],
    ]);
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<img');
    // Next to the outcome counts, before the per-class table.
    expect(page.indexOf('id="requests-table"')).toBeLessThan(page.indexOf('id="rejections-table"'));
    expect(page.indexOf('id="rejections-table"')).toBeLessThan(page.indexOf('id="class-table"'));
  });
});

describe('report size', () => {
  it('keeps a real 24-hour run (1 min windows) under 3 MB', async () => {
    const mmc = await loadScenarioFile(join(ROOT, 'scenarios/mmc.yaml'), {
      overrides: [
        { path: 'duration', value: '24h' },
        { path: 'metrics.interval', value: '1m' },
      ],
    });
    const long = await simulate(mmc, {});
    expect(long.timeseries.startMs.length).toBeGreaterThanOrEqual(1440);
    const page = renderRunReport(long, mmc.scenario);
    expect(Buffer.byteLength(page)).toBeLessThan(MB3);
    expect(embedded<RunReportData>(page).time.n).toBeLessThanOrEqual(MAX_POINTS);
  });

  it('downsamples 86,400 one-second windows into at most MAX_POINTS and stays under 3 MB', async () => {
    const day = await loadScenarioFile(QUICKSTART, { overrides: [{ path: 'duration', value: '24h' }] });
    const n = 86_400;
    const ts = result.timeseries;
    const m = ts.startMs.length;
    const tile = <T>(xs: readonly T[]) => Array.from({ length: n }, (_, i) => xs[i % m]!);
    const big: RunResult = {
      ...result,
      durationMs: n * 1000,
      endMs: n * 1000,
      timeseries: {
        ...ts,
        startMs: Array.from({ length: n }, (_, i) => i * ts.intervalMs),
        ...Object.fromEntries(
          Object.entries(ts)
            .filter(([, v]) => Array.isArray(v))
            .map(([k, v]) => [k, tile(v as unknown[])]),
        ),
        providers: Object.fromEntries(
          Object.entries(ts.providers).map(([p, s]) => [
            p,
            Object.fromEntries(Object.entries(s).map(([k, v]) => [k, tile(v as unknown[])])),
          ]),
        ) as RunResult['timeseries']['providers'],
        classes: Object.fromEntries(
          Object.entries(ts.classes).map(([c, s]) => [
            c,
            Object.fromEntries(Object.entries(s).map(([k, v]) => [k, tile(v as unknown[])])),
          ]),
        ) as RunResult['timeseries']['classes'],
      },
    };
    const page = renderRunReport(big, day.scenario);
    const data = embedded<RunReportData>(page);
    expect(data.time.n).toBeLessThanOrEqual(MAX_POINTS);
    expect(data.time.intervalMs).toBe(Math.ceil(n / MAX_POINTS) * 1000);
    // Counts become rates over merged windows: the mean offered rate is unchanged.
    const offered = data.time.charts[0]!.series[0]!.values;
    const mean = offered.reduce<number>((a, v) => a + (v ?? 0), 0) / offered.length;
    const raw = (big.timeseries.offered.reduce<number>((a, v) => a + (v ?? 0), 0) / n) * 1;
    expect(mean).toBeCloseTo(raw, 0);
    expect(Buffer.byteLength(page)).toBeLessThan(MB3);
  });
});

describe('renderCompareReport(result, scenario)', () => {
  let cmp: CompareResult;
  let page: string;
  beforeAll(async () => {
    const overrides = [{ path: 'duration', value: '5m' }];
    cmp = await compare({
      file: QUICKSTART,
      entries: parsePolicyList('round-robin,least-outstanding'),
      seeds: [1, 2, 3],
      jobs: 1,
      objective: 'goodput',
      baseOverrides: overrides,
    });
    page = renderCompareReport(cmp, (await loadScenarioFile(QUICKSTART, { overrides })).scenario);
  });

  it('writes the ranking with CIs and significance, per-policy verdicts and the story as HTML', () => {
    const noJs = withoutScripts(page);
    expect(noJs).toContain('<h1 id="title">quickstart</h1>');
    const ranking = rows(noJs, 'ranking-table');
    expect(ranking.map((r) => [r[0], r[1]])).toEqual(cmp.entries.map((e) => [String(e.rank), e.label]));
    expect(ranking[0]![2]).toBe('leader');
    for (const [i, e] of cmp.entries.entries())
      if (e.vsLeader)
        expect(ranking[i]![2]).toContain(e.vsLeader.significant ? 'significant' : 'not significant');
    expect(ranking[0]![3]).toMatch(/^\d+\.\d% ± /);
    for (const e of cmp.entries) {
      const passed = e.seeds.reduce((a, s) => a + s.slosPassed, 0) === e.slosTotal * e.seeds.length;
      expect(noJs).toContain(`data-entry="${e.label}" data-pass="${passed}"`);
    }
    expect(rows(noJs, 'seeds-table')).toHaveLength(3);
    expect(text(/<p class="story" id="story">([\s\S]*?)<\/p>/.exec(noJs)![1]!)).toContain(
      `${cmp.entries[0]!.label} leads`,
    );
  });

  it('embeds one dot-and-whisker chart per headline figure, the objective first, with every seed', () => {
    const data = embedded<CompareReportData>(page);
    expect(data.kind).toBe('compare');
    expect(data.entries.map((e) => e.label)).toEqual(cmp.entries.map((e) => e.label));
    expect(data.charts[0]!.id).toBe('fig-goodputShare');
    for (const c of data.charts) {
      expect(page).toContain(`data-chart="${c.id}"`);
      expect(c.values).toHaveLength(cmp.entries.length);
      for (const v of c.values) expect(v.seeds).toHaveLength(3);
    }
  });

  it("keeps the first seed's series, drawn as small multiples on shared scales and a goodput overlay", () => {
    for (const e of cmp.entries) {
      expect(e.seeds.map((s) => s.series !== undefined)).toEqual([true, false, false]);
      const s = e.seeds[0]!.series!;
      expect(s.offered.length).toBeGreaterThan(10);
      expect(s.goodput).toHaveLength(s.offered.length);
      expect(s.ttftP99.some((v) => v !== null && v > 0)).toBe(true);
    }
    expect(withoutScripts(page)).toContain('<h2 id="over-time-h">Over time (seed 1)</h2>');
    const time = embedded<CompareReportData>(page).time!;
    expect(time.n * time.intervalMs).toBe(time.endMs);
    const ids = time.charts.map((c) => c.id);
    expect(ids).toEqual([
      'over-goodput',
      ...cmp.entries.flatMap((_, i) => [`over-${i}-rates`, `over-${i}-ttft`]),
    ]);
    for (const id of ids) expect(page).toContain(`data-chart="${id}"`);
    const overlay = time.charts[0]!;
    expect(overlay.series.map((s) => s.label)).toEqual(cmp.entries.map((e) => e.label));
    const rates = time.charts.filter((c) => c.id.endsWith('-rates'));
    const ttft = time.charts.filter((c) => c.id.endsWith('-ttft'));
    for (const c of rates) expect(c.yDomain).toEqual(overlay.yDomain);
    for (const c of ttft) expect(c.yDomain).toEqual(ttft[0]!.yDomain);
    const top = Math.max(...rates.flatMap((c) => c.series.flatMap((s) => s.values.map((v) => v ?? 0))));
    expect(top).toBeLessThanOrEqual(overlay.yDomain![1]);
  });
});
