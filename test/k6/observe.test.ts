import { describe, expect, it } from 'vitest';
import type { LatencySummary } from '../../src/engine/histogram.ts';
import { FloodgateError } from '../../src/errors.ts';
import { asK6Summary, compareRun, formatComparison, parseTolerance } from '../../src/k6/observe.ts';
import {
  K6_SUMMARY_SCHEMA,
  type K6Summary,
  type ObservedClass,
  type ObservedLatency,
} from '../../src/k6/summary-schema.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const predicted: RunResult = await simulate(
  await loadScenarioObject({
    name: 'two-classes',
    duration: '3m',
    warmup: '30s',
    seed: 5,
    providers: [
      {
        name: 'api',
        kind: 'api',
        capacity: 100,
        ttft: { dist: 'lognormal', median: '300ms', p99: '1s' },
      },
    ],
    workload: {
      arrivals: { rate: '20/s' },
      classes: [
        { name: 'tab', share: 3, outputTokens: 20 },
        { name: 'chat', share: 1, outputTokens: 200 },
      ],
    },
  }),
);

const latency = (s: LatencySummary): ObservedLatency => ({
  count: s.count,
  mean: s.mean,
  p50: s.p50,
  p90: s.p90,
  p95: s.p95,
  p99: s.p99,
  max: s.max,
});

/** What a k6 run that matched the prediction exactly would report (at `scale` of the traffic). */
function mirror(scale = 1): K6Summary {
  const cls = (c: Pick<RunResult, 'requests' | 'latency'>): ObservedClass => ({
    requests: Math.round(c.requests.offered * scale),
    outcomes: {
      ok: Math.round(c.requests.completed * scale),
      rateLimited: Math.round(c.requests.rateLimited * scale),
      serverError: Math.round((c.requests.failed + c.requests.shed) * scale),
      timedOut: Math.round(c.requests.timedOut * scale),
      otherError: 0,
      abandoned: Math.round(c.requests.abandoned * scale),
    },
    attempts: Math.round(c.requests.attempts * scale),
    droppedIterations: 0,
    ttft: latency(c.latency.ttft),
    tpot: latency(c.latency.tpot),
    e2e: latency(c.latency.e2e),
    itl: latency(c.latency.itl),
    inputTokens: 0,
    outputTokens: 0,
    goodput: Math.round(c.requests.goodput * scale),
  });
  return {
    schema: K6_SUMMARY_SCHEMA,
    scenario: { name: 'two-classes', file: 'x.yaml', seed: 5, durationMs: 180_000, warmupMs: 30_000 },
    mode: 'sse',
    ttftSource: 'first-event',
    timeScale: 1,
    rateScale: 1,
    parallelism: 1,
    measuredMs: 150_000,
    testRunDurationMs: 240_000,
    expectedIterations: 3600,
    droppedIterations: 0,
    warmupRequests: 600,
    classes: { tab: cls(predicted.classes['tab']!), chat: cls(predicted.classes['chat']!) },
    overall: cls(predicted),
    thresholds: [],
    pass: true,
  };
}

describe('compareRun(predicted, observed, { tolerance })', () => {
  it('passes an observation equal to the prediction, row by row, per class and overall', () => {
    const c = compareRun(predicted, mirror(), { tolerance: 0.2 });
    expect(c.pass).toBe(true);
    expect([...new Set(c.rows.map((r) => r.scope))]).toEqual(['tab', 'chat', 'all']);
    expect(c.rows.filter((r) => r.scope === 'tab').map((r) => r.metric)).toEqual([
      'ttft.p50',
      'ttft.p90',
      'ttft.p99',
      'e2e.p50',
      'e2e.p90',
      'e2e.p99',
      'errorShare',
      'rateLimitedShare',
      'offeredPerSec',
      'completedPerSec',
    ]);
    const thru = c.rows.find((r) => r.scope === 'all' && r.metric === 'completedPerSec')!;
    expect(thru.predicted).toBeCloseTo(predicted.requests.completed / 150, 6);
    expect(thru.relDiff).toBe(0);
    expect(c.rows.every((r) => r.verdict === 'ok')).toBe(true);
  });

  it('flags a row beyond the tolerance, with its relative difference', () => {
    const o = mirror();
    o.classes['chat']!.ttft.p99 = predicted.classes['chat']!.latency.ttft.p99! * 1.5;
    const c = compareRun(predicted, o, { tolerance: 0.2 });
    expect(c.pass).toBe(false);
    const row = c.rows.find((r) => r.scope === 'chat' && r.metric === 'ttft.p99')!;
    expect(row.verdict).toBe('differs');
    expect(row.relDiff).toBeCloseTo(0.5, 6);
    expect(compareRun(predicted, o, { tolerance: 0.6 }).pass).toBe(true);
  });

  it('puts observed rates in scenario units: divided by --rate-scale, times the load generators', () => {
    const half = { ...mirror(0.5), rateScale: 0.5 };
    expect(compareRun(predicted, half, { tolerance: 0.01 }).pass).toBe(true);
    const oneOfTwo = { ...mirror(0.5), parallelism: 2 };
    expect(compareRun(predicted, oneOfTwo, { tolerance: 0.01 }).pass).toBe(true);
    const compressed = { ...mirror(0.1), timeScale: 0.1, measuredMs: 15_000 };
    const c = compareRun(predicted, compressed, { tolerance: 0.02 });
    expect(c.pass).toBe(true);
    expect(c.notes.join('\n')).toMatch(/time-compressed \(x0.1\)/);
  });

  it('lets shares within one percentage point pass whatever their ratio', () => {
    const o = mirror();
    o.overall.outcomes.serverError += Math.round(o.overall.requests * 0.005);
    o.overall.outcomes.ok -= Math.round(o.overall.requests * 0.005);
    const row = compareRun(predicted, o, { tolerance: 0.2 }).rows.find(
      (r) => r.scope === 'all' && r.metric === 'errorShare',
    )!;
    expect(row.verdict).toBe('ok');
    o.overall.outcomes.serverError += Math.round(o.overall.requests * 0.05);
    const worse = compareRun(predicted, o, { tolerance: 0.2 }).rows.find(
      (r) => r.scope === 'all' && r.metric === 'errorShare',
    )!;
    expect(worse.verdict).toBe('differs');
  });

  it('reports a class seen on one side only as missing, and notes the TTFB proxy and dropped iterations', () => {
    const o = mirror();
    o.classes['extra'] = o.classes['tab']!;
    delete (o.classes as Record<string, unknown>)['chat'];
    o.ttftSource = 'ttfb';
    o.droppedIterations = 12;
    const c = compareRun(predicted, o, { tolerance: 0.2 });
    expect(c.pass).toBe(false);
    expect(c.rows.find((r) => r.scope === 'chat' && r.metric === 'ttft.p50')!.verdict).toBe('missing');
    expect(c.rows.find((r) => r.scope === 'extra' && r.metric === 'ttft.p50')!.verdict).toBe('missing');
    expect(c.notes.join('\n')).toMatch(/time to first byte/);
    expect(c.notes.join('\n')).toMatch(/dropped 12 iterations/);
  });

  it('formats a table with a verdict per row and a count', () => {
    const o = mirror();
    o.overall.e2e.p50 = predicted.latency.e2e.p50! * 2;
    const text = formatComparison(compareRun(predicted, o, { tolerance: 0.2 }));
    expect(text).toMatch(
      /^observe {2}two-classes {2}predicted \(simulator\) vs observed \(k6\), tolerance 20%/,
    );
    expect(text).toMatch(/\nclass +metric +predicted +observed +diff +verdict\n/);
    expect(text).toMatch(/\nall +e2e\.p50 .* \+100\.0% +DIFFERS\n/);
    expect(text).toMatch(/\n29\/30 within tolerance: reality differs from the prediction/);
  });
});

describe('parseTolerance and asK6Summary', () => {
  it('counts overloaded and quota-exceeded requests as errors, not as rate limits', () => {
    const observed = mirror();
    const moved = (c: ObservedClass): ObservedClass => ({
      ...c,
      outcomes: { ...c.outcomes, ok: c.outcomes.ok - 30, overloaded: 20, quotaExceeded: 10 },
    });
    const dialect = { ...observed, overall: moved(observed.overall) };
    const row = (s: K6Summary, metric: string) =>
      compareRun(predicted, s, { tolerance: 0.2 }).rows.find(
        (r) => r.scope === 'all' && r.metric === metric,
      )!;
    const requests = observed.overall.requests;
    expect(row(dialect, 'errorShare').observed! - row(observed, 'errorShare').observed!).toBeCloseTo(
      30 / requests,
      5,
    );
    expect(row(dialect, 'rateLimitedShare').observed).toBe(row(observed, 'rateLimitedShare').observed);
  });

  it('reads 20% and 0.2 alike', () => {
    expect(parseTolerance('20%')).toBe(0.2);
    expect(parseTolerance('0.25')).toBe(0.25);
    expect(() => parseTolerance('lots')).toThrow(/expected a tolerance like 20% or 0.2, got 'lots'/);
  });

  it('rejects a file that is not a floodgate k6 summary', () => {
    expect(() => asK6Summary({ schema: 'floodgate/run-result@1' }, 'r.json')).toThrow(FloodgateError);
    expect(() => asK6Summary({ metrics: {} }, 'k6.json')).toThrow(
      /k6.json: expected a floodgate k6 summary \(schema floodgate\/k6-summary@1/,
    );
  });
});
