import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileK6 } from '../../src/k6/compile.ts';
import { CLASS_FIELDS, SESSION_FIELDS, SLO_METRICS } from '../../src/k6/coverage.ts';
import { expectedLatencyMs, latencyQuantileMs } from '../../src/k6/sizing.ts';
import { parseK6Duration, stagesIntegral } from '../../src/k6/stages.ts';
import { loadScenarioFile, loadScenarioObject } from '../../src/scenario/load.ts';
import {
  LATENCY_METRICS,
  OTHER_METRICS,
  type ScenarioInput,
  SHARE_METRICS,
} from '../../src/scenario/schema.ts';
import { RateTimeline } from '../../src/workload/timeline/rate-timeline.ts';

const ROOT = join(import.meta.dirname, '../..');
const QUICKSTART = join(ROOT, 'scenarios/quickstart.yaml');

const api = { name: 'api', kind: 'api' as const, models: ['m1'] };

describe('compileK6(quickstart)', async () => {
  const loaded = await loadScenarioFile(QUICKSTART);
  const { config, expectedRequests, notes } = compileK6(loaded);
  const timeline = new RateTimeline(40, loaded.scenario.workload.arrivals!.timeline);
  const expected = timeline.expectedCount(0, 720_000, 100);

  it('makes one ramping-arrival-rate scenario per class whose stages integrate to share x r(t)', () => {
    expect(Object.keys(config.options.scenarios)).toEqual(['tab', 'chat']);
    const tab = config.options.scenarios['tab']!;
    const chat = config.options.scenarios['chat']!;
    expect(tab.executor).toBe('ramping-arrival-rate');
    expect(stagesIntegral(tab)).toBeCloseTo(0.75 * expected, 6);
    expect(stagesIntegral(chat)).toBeCloseTo(0.25 * expected, 6);
    expect(expectedRequests).toBeCloseTo(expected, 6);
    // The spike's corners, exactly: 30/s for tab, x3 from 4m10s to 5m40s.
    expect(tab).toMatchObject({
      startRate: 1800,
      timeUnit: '1m',
      stages: [
        { duration: '240000ms', target: 1800 },
        { duration: '10000ms', target: 5400 },
        { duration: '90000ms', target: 5400 },
        { duration: '10000ms', target: 1800 },
        { duration: '370000ms', target: 1800 },
      ],
      startTime: '0ms',
      gracefulStop: '60s',
      tags: { floodgate_class: 'tab' },
    });
  });

  it("sizes VUs by Little's law: peak rate x p90 latency x 1.5 + 3 sqrt, up to the worst latency", () => {
    const tab = config.options.scenarios['tab']!;
    const p90 = latencyQuantileMs(loaded.scenario, loaded.scenario.workload.classes[0]!, 0.9);
    expect(p90).toBeGreaterThan(expectedLatencyMs(loaded.scenario, loaded.scenario.workload.classes[0]!));
    const inFlight = 90 * (p90 / 1000);
    expect(tab.preAllocatedVUs).toBe(Math.ceil(inFlight * 1.5 + 3 * Math.sqrt(inFlight)));
    // Client timeout 30 s, one retry with backoff cap 5 s: 65 s at 90/s.
    expect(tab.maxVUs).toBe(Math.ceil(90 * 65 * 1.5));
  });

  it('maps the SLOs to thresholds and adds dropped_iterations, overall and per class', () => {
    expect(config.options.thresholds).toEqual({
      floodgate_tab_ttft: ['p(99)<=1500'],
      floodgate_chat_ttft: ['p(99)<=6000'],
      floodgate_error_rate: ['rate<=0.05'],
      floodgate_goodput_rate: ['rate>=0.85'],
      dropped_iterations: ['count==0'],
      'dropped_iterations{scenario:tab}': ['count==0'],
      'dropped_iterations{scenario:chat}': ['count==0'],
    });
    expect(config.options.summaryTrendStats).toEqual(
      expect.arrayContaining(['p(50)', 'p(90)', 'p(95)', 'p(99)', 'count']),
    );
  });

  it('carries what each request needs: model, sizes, client, goodput targets', () => {
    const tab = config.classes[0]!;
    expect(tab).toMatchObject({
      name: 'tab',
      metricPrefix: 'floodgate_tab',
      model: 'small-model',
      stream: true,
      outputTokens: { dist: 'lognormal', median: 24, p99: 120 },
      client: { timeoutMs: 30_000, retries: { max: 1, backoff: { base: 500, cap: 5000, jitter: 'full' } } },
      slo: { ttftMs: 1000, tpotMs: null, e2eMs: null },
      priority: 1,
    });
    expect(config.scenario).toEqual({
      name: 'quickstart',
      file: QUICKSTART,
      seed: 42,
      durationMs: 720_000,
      warmupMs: 60_000,
    });
  });

  it('says what k6 does not reproduce: faults, Poisson burstiness, the TTFB proxy, the recovery verdict', () => {
    expect(notes.join('\n')).toMatch(/faults: k6 injects no faults/);
    expect(notes.join('\n')).toMatch(/recovery: k6 keeps no time series/);
    expect(notes.join('\n')).toMatch(/process poisson: k6 spaces iterations evenly/);
    expect(notes.join('\n')).toMatch(/stock mode: TTFT is time to first byte/);
    expect(compileK6(loaded, { mode: 'sse' }).notes.join('\n')).not.toMatch(/time to first byte/);
  });

  it('--time-scale compresses the stages and --rate-scale multiplies the rates, keeping the shape', () => {
    const small = compileK6(loaded, { timeScale: 1 / 12, rateScale: 0.1 });
    const tab = small.config.options.scenarios['tab']!;
    const span = tab.stages.reduce((a, s) => a + parseK6Duration(s.duration), 0);
    expect(span).toBe(60_000);
    expect(stagesIntegral(tab)).toBeCloseTo((0.75 * expected * 0.1) / 12, 0);
    expect(small.expectedRequests / expectedRequests).toBeCloseTo(0.1 / 12, 3);
    // The spike is still 3x the base, 4/12 of the way in.
    expect(tab.stages[1]).toEqual({ duration: '833ms', target: 3 * tab.startRate });
    expect(small.config.timeScale).toBe(1 / 12);
    expect(small.config.options.scenarios['tab']!.gracefulStop).toBe('60s');
  });
});

describe('expected iteration and request counts are whole numbers (rates stay fractional)', () => {
  const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));
  it.each(files)('%s at time x0.1, rate x0.5', async (file) => {
    const { config, expectedRequests } = compileK6(await loadScenarioFile(join(ROOT, 'scenarios', file)), {
      timeScale: 0.1,
      rateScale: 0.5,
    });
    expect(Number.isInteger(expectedRequests)).toBe(true);
    for (const c of config.classes) {
      expect(Number.isInteger(c.expectedIterations)).toBe(true);
      // The stages' integral, rounded (diurnal-capacity's is 2014.2 for one class, for instance).
      expect(
        Math.abs(c.expectedIterations - stagesIntegral(config.options.scenarios[c.scenario]!)),
      ).toBeLessThanOrEqual(0.5);
    }
  });
});

describe('compileK6(other shapes)', () => {
  it('starts a class whose rate is zero at first later (startTime), and uses its own arrivals', async () => {
    const input: ScenarioInput = {
      name: 'late',
      duration: '3m',
      providers: [api],
      workload: {
        arrivals: { process: 'uniform', rate: '10/s' },
        classes: [
          { name: 'a' },
          { name: 'b.x', arrivals: { process: 'uniform', timeline: [{ step: { at: '1m', rate: '2/s' } }] } },
        ],
      },
      slos: [
        { class: 'b.x', metric: 'e2e.mean', max: '2s' },
        { metric: 'amplification', max: 2 },
        { metric: 'itl.p99', max: '50ms' },
      ],
    };
    const { config, notes } = compileK6(await loadScenarioObject(input));
    const b = config.options.scenarios['b_x']!;
    expect(b.startTime).toBe('60000ms');
    expect(stagesIntegral(b)).toBe(240);
    expect(stagesIntegral(config.options.scenarios['a']!)).toBe(1800);
    expect(config.classes[1]).toMatchObject({ name: 'b.x', scenario: 'b_x', metricPrefix: 'floodgate_b_x' });
    expect(config.options.thresholds['floodgate_b_x_e2e']).toEqual(['avg<=2000']);
    expect(Object.keys(config.options.thresholds)).not.toContain('floodgate_itl');
    expect(notes).toContain(
      "SLO 'amplification <= 2': no k6 threshold: gateway retries are invisible to the client (k6 counts client tries)",
    );
    expect(notes).toContain(
      "SLO 'itl.p99 <= 50ms': no k6 threshold in stock mode (inter-token gaps need --mode sse)",
    );
    expect(
      compileK6(await loadScenarioObject(input), { mode: 'sse' }).config.options.thresholds['floodgate_itl'],
    ).toEqual(['p(99)<=50']);
  });

  it('replays a trace as per-second counts, with its own sizes per iteration', async () => {
    const loaded = await loadScenarioFile(join(ROOT, 'scenarios/azure-trace.yaml'));
    const { config, traces } = compileK6(loaded, { timeScale: 0.5, rateScale: 0.5 });
    const trace = loaded.traces.values().next().value!;
    // speed 4 over 15 min: the records in the first hour of the trace.
    const played = trace.timesMs.filter((t) => t / 4 < 900_000).length;
    const s = config.options.scenarios['conversation']!;
    expect(stagesIntegral(s)).toBeCloseTo(played * 0.25, -1);
    const c = config.classes[0]!;
    expect(c.trace).toEqual({ records: played, iterationsPerRecord: 0.25 });
    expect(traces['conversation']!.slice(0, 3)).toEqual([
      [374, 44],
      [396, 109],
      [879, 55],
    ]);
    expect(traces['conversation']).toHaveLength(played);
    // Per-second stages: every stage is a jump (0 ms) or a whole number of seconds.
    for (const st of s.stages) expect(parseK6Duration(st.duration) % 1000).toBe(0);
  });

  it('refuses a scenario with nothing to send', async () => {
    const loaded = await loadScenarioObject({
      name: 'empty',
      duration: '1m',
      providers: [api],
      workload: { arrivals: { rate: 0 }, classes: [{ name: 'a' }] },
    });
    expect(() => compileK6(loaded)).toThrow(/no class has any arrivals/);
  });
});

describe('SLO_METRICS', () => {
  it('decides every SLO metric family the schema knows', () => {
    expect(Object.keys(SLO_METRICS).sort()).toEqual(
      [...LATENCY_METRICS, ...SHARE_METRICS, ...OTHER_METRICS].sort(),
    );
    expect(SLO_METRICS.cancelledShare).toEqual({ metric: 'cancelled_rate' });
  });
});

describe('coverage of tab cancellation and agent sessions', () => {
  it('compiles cancelAfter, debounce and session (and every session field) into the script', () => {
    for (const field of ['cancelAfter', 'debounce', 'session'] as const)
      expect(CLASS_FIELDS[field]).toHaveProperty('k6');
    for (const t of Object.values(SESSION_FIELDS)) expect(t).toHaveProperty('k6');
    expect(Object.keys(SESSION_FIELDS).sort()).toEqual([
      'calls',
      'maxContext',
      'retries',
      'thinkTime',
      'toolTokens',
    ]);
  });
});
