/**
 * The summaries of a k6-operator TestRun's runners merge into one summary of the whole run:
 * counts add, latency maxima and count-weighted means and percentiles, thresholds pass only where
 * every runner passed, and `observe` reads the merge as a single machine's run (parallelism 1).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FloodgateError } from '../../src/errors.ts';
import { asK6Summary } from '../../src/k6/observe.ts';
import type { K6Summary, ObservedClass, ObservedLatency } from '../../src/k6/summary-schema.ts';
import { mergeK6Summaries, mergeLatency } from '../../src/shard/k6-summaries.ts';
import { mergeInputs } from '../../src/shard/merge.ts';
import { runCli } from '../cli/process.ts';

const latency = (count: number, base: number): ObservedLatency => ({
  count,
  mean: base,
  p50: base,
  p90: base * 2,
  p95: base * 3,
  p99: base * 4,
  max: base * 5,
});

const cls = (requests: number, base: number): ObservedClass => ({
  requests,
  outcomes: { ok: requests - 2, rateLimited: 1, serverError: 1, timedOut: 0, otherError: 0, abandoned: 0 },
  attempts: requests + 3,
  droppedIterations: 1,
  ttft: latency(requests - 2, base),
  tpot: latency(requests - 2, base / 10),
  e2e: latency(requests - 2, base * 3),
  itl: latency(0, 0),
  inputTokens: requests * 100,
  outputTokens: requests * 10,
  goodput: requests - 4,
});

function runner(requests: number, base: number, pass: boolean): K6Summary {
  return {
    schema: 'floodgate/k6-summary@1',
    scenario: {
      name: 'quickstart',
      file: 'quickstart.yaml',
      seed: 42,
      durationMs: 180_000,
      warmupMs: 60_000,
    },
    mode: 'stock',
    ttftSource: 'ttfb',
    timeScale: 1,
    rateScale: 1,
    parallelism: 3,
    measuredMs: 120_000,
    testRunDurationMs: 200_000 + requests,
    expectedIterations: requests + 5,
    droppedIterations: 1,
    warmupRequests: 7,
    classes: { tab: cls(requests, base) },
    overall: cls(requests, base),
    thresholds: [
      { metric: 'floodgate_tab_ttft', threshold: 'p(99)<=1500', pass },
      { metric: 'floodgate_errors', threshold: 'rate<=0.05', pass: true },
    ],
    pass,
  };
}

const inputs = (ss: K6Summary[]) => ss.map((json, i) => ({ file: `runner-${i}.json`, json }));

describe('merging k6-operator runner summaries', () => {
  const runners = [runner(102, 100, true), runner(202, 200, false), runner(302, 300, true)];

  it('adds counts, weights latencies by count, and passes a threshold only where every runner did', () => {
    const m = mergeK6Summaries(inputs(runners));
    expect(m.parallelism).toBe(1);
    expect(m.overall.requests).toBe(606);
    expect(m.overall.outcomes).toEqual({
      ok: 600,
      rateLimited: 3,
      serverError: 3,
      timedOut: 0,
      otherError: 0,
      abandoned: 0,
    });
    expect(m.classes['tab']!.attempts).toBe(615);
    expect(m.expectedIterations).toBe(621);
    expect(m.warmupRequests).toBe(21);
    expect(m.testRunDurationMs).toBe(200_302);
    // Counts 100, 200, 300 at 100, 200, 300 ms: the weighted mean is (1+4+9)/6 x 100.
    expect(m.overall.ttft.count).toBe(600);
    expect(m.overall.ttft.mean).toBeCloseTo((100 * 100 + 200 * 200 + 300 * 300) / 600, 9);
    expect(m.overall.ttft.max).toBe(1500);
    expect(m.overall.itl).toEqual({
      count: 0,
      mean: null,
      p50: null,
      p90: null,
      p95: null,
      p99: null,
      max: null,
    });
    expect(m.thresholds).toEqual([
      { metric: 'floodgate_tab_ttft', threshold: 'p(99)<=1500', pass: false },
      { metric: 'floodgate_errors', threshold: 'rate<=0.05', pass: true },
    ]);
    expect(m.pass).toBe(false);
    expect(mergeLatency([latency(0, 5), latency(4, 10)])).toEqual(latency(4, 10));
  });

  it('adds the dialect outcomes (overloaded, quota) and cached tokens where any runner has them', () => {
    const withDialect = (r: K6Summary, overloaded: number): K6Summary => {
      const c: ObservedClass = {
        ...r.overall,
        outcomes: { ...r.overall.outcomes, overloaded, quotaExceeded: 1 },
        cachedInputTokens: 50,
      };
      return { ...r, classes: { tab: c }, overall: c };
    };
    const m = mergeK6Summaries(
      inputs([withDialect(runners[0]!, 2), withDialect(runners[1]!, 3), runners[2]!]),
    );
    expect(m.overall.outcomes.overloaded).toBe(5);
    expect(m.overall.outcomes.quotaExceeded).toBe(2);
    expect(m.classes['tab']!.cachedInputTokens).toBe(100);
  });

  it('refuses a missing runner and summaries of another run', () => {
    expect(() => mergeK6Summaries(inputs(runners.slice(0, 2)))).toThrow(
      /the TestRun had 3 runners \(parallelism 3\), got 2 summaries/,
    );
    const other = { ...runner(100, 100, true), rateScale: 0.5 };
    expect(() => mergeK6Summaries(inputs([runners[0]!, runners[1]!, other]))).toThrow(
      /runner-2\.json: a summary of another run than runner-0\.json/,
    );
    expect(() =>
      mergeInputs([...inputs(runners), { file: 'part.json', json: { schema: 'floodgate/shard-part@1' } }]),
    ).toThrow(FloodgateError);
  });

  it("through `floodgate merge`, into a file `observe` reads as one machine's summary", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-k6-merge-'));
    const files = await Promise.all(
      runners.map(async (r, i) => {
        const f = join(dir, `runner-${i}.json`);
        await writeFile(f, JSON.stringify(r));
        return f;
      }),
    );
    const out = join(dir, 'merged.json');
    const r = await runCli(['merge', ...files, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^3 runner summaries of quickstart merged \(606 requests, thresholds failed\)/);
    expect(r.stdout).toMatch(/floodgate observe --predicted RESULT\.json --observed /);
    const merged = asK6Summary(JSON.parse(await readFile(out, 'utf8')), out);
    expect(merged.parallelism).toBe(1);
    expect(merged.overall.requests).toBe(606);
  });
});
