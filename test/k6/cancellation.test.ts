/**
 * Tab completions in the generated script (class `cancelAfter` and `debounce`), run under the
 * fake k6 of harness.ts: the keystroke gap drawn per request, the debounce slept before sending
 * (nothing sent when the keystroke comes first), the try cut at the keystroke and counted
 * cancelled (not timed out), the cancelled rate as a threshold, in the summary and in observe.
 */
import { describe, expect, it } from 'vitest';
import { bundleK6Script } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import { asK6Summary, compareRun } from '../../src/k6/observe.ts';
import type { K6Mode } from '../../src/k6/script-config.ts';
import type { K6Summary } from '../../src/k6/summary-schema.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { fakeAfterWarmup, iterate, loadScript, slowServer, streamBody, streamEvents } from './harness.ts';

type ClassInput = ScenarioInput['workload']['classes'][number];

function scenario(tab: Partial<ClassInput>, extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'typing',
    duration: '1m',
    seed: 3,
    providers: [{ name: 'api', kind: 'api', models: ['m1'] }],
    workload: {
      arrivals: { process: 'uniform', rate: '10/s' },
      classes: [{ name: 'tab', promptTokens: 50, outputTokens: 5, ...tab }],
      client: { timeout: '30s', retries: { max: 1, on: ['timeout', 'server-error'] } },
    },
    ...extra,
  };
}

async function scriptFor(input: ScenarioInput, mode: K6Mode = 'stock') {
  const compiled = compileK6(await loadScenarioObject(input), { mode });
  const fake = fakeAfterWarmup();
  const script = await loadScript(await bundleK6Script(compiled.config), fake);
  return { compiled, fake, script };
}

const OK = { status: 200, body: streamBody(5) };

describe('cancelAfter and debounce in the k6 script', () => {
  it.each([
    ['retrying timeouts', { timeout: '30s', retries: { max: 1, on: ['timeout' as const] } }],
    ['without retries', { timeout: '30s' }],
  ])(
    'cuts every request at a keystroke before the answer and counts it cancelled (%s)',
    async (_, client) => {
      const input = scenario({ cancelAfter: '200ms', debounce: '50ms' });
      input.workload.client = client;
      const { fake, script } = await scriptFor(input);
      fake.respond = slowServer(500, OK);
      iterate(script, fake, 'tab', 0, 20);
      expect(fake.posts).toHaveLength(20);
      // The try's timeout is the time left to the keystroke after the debounce, not the client's 30 s.
      expect(fake.posts.every((p) => p.params.timeout === 150)).toBe(true);
      expect(fake.sleeps).toEqual(new Array(20).fill(0.05));
      expect(fake.count('floodgate_tab_requests')).toBe(20);
      expect(fake.count('floodgate_tab_cancelled')).toBe(20);
      expect(fake.count('floodgate_cancelled')).toBe(20);
      expect(fake.samples('floodgate_tab_cancelled_rate')).toEqual(new Array(20).fill(1));
      // A keystroke is not a timeout: not retried, not an error.
      expect(fake.count('floodgate_tab_timeout')).toBe(0);
      expect(fake.count('floodgate_tab_attempts')).toBe(20);
      expect(fake.samples('floodgate_tab_error_rate')).toEqual(new Array(20).fill(0));
      expect(fake.samples('floodgate_tab_ttft')).toEqual([]);
    },
  );

  it('cancels nothing when the keystroke comes after the answer; TTFT counts the debounce', async () => {
    const { fake, script } = await scriptFor(scenario({ cancelAfter: '2s', debounce: '50ms' }));
    fake.respond = slowServer(500, OK);
    iterate(script, fake, 'tab', 0, 20);
    expect(fake.count('floodgate_tab_ok')).toBe(20);
    expect(fake.count('floodgate_tab_cancelled')).toBe(0);
    expect(fake.samples('floodgate_tab_cancelled_rate')).toEqual(new Array(20).fill(0));
    expect(fake.posts.every((p) => p.params.timeout === 1950)).toBe(true);
    // From arrival, as the simulator measures: the 50 ms debounce, then the 500 ms answer.
    expect(fake.samples('floodgate_tab_ttft')).toEqual(new Array(20).fill(550));
  });

  it('sends nothing when the debounce is at least the keystroke gap', async () => {
    for (const debounce of ['200ms', '300ms']) {
      const { fake, script } = await scriptFor(scenario({ cancelAfter: '200ms', debounce }));
      fake.respond = slowServer(10, OK);
      iterate(script, fake, 'tab', 0, 10);
      expect(fake.posts).toHaveLength(0);
      expect(fake.sleeps).toEqual([]);
      expect(fake.count('floodgate_tab_requests')).toBe(10);
      expect(fake.count('floodgate_tab_cancelled')).toBe(10);
      expect(fake.count('floodgate_tab_attempts')).toBe(0);
    }
  });

  it('still counts a client timeout shorter than the keystroke gap as timed out', async () => {
    const input = scenario({ cancelAfter: '5s' });
    input.workload.client = { timeout: '300ms' };
    const { fake, script } = await scriptFor(input);
    fake.respond = slowServer(1000, OK);
    iterate(script, fake, 'tab', 0, 5);
    expect(fake.posts.every((p) => p.params.timeout === 300)).toBe(true);
    expect(fake.count('floodgate_tab_timeout')).toBe(5);
    expect(fake.count('floodgate_tab_cancelled')).toBe(0);
  });

  it('gives up a retry whose backoff outlasts the keystroke, as cancelled', async () => {
    const input = scenario({ cancelAfter: '1s' });
    input.workload.client = {
      retries: { max: 3, on: ['server-error'], backoff: { base: '2s', cap: '2s', jitter: 'none' } },
    };
    const { fake, script } = await scriptFor(input);
    fake.respond = () => ({ status: 503, timings: { waiting: 100 } });
    iterate(script, fake, 'tab', 0, 3);
    expect(fake.posts).toHaveLength(3);
    expect(fake.sleeps).toEqual([]);
    expect(fake.count('floodgate_tab_cancelled')).toBe(3);
    expect(fake.count('floodgate_tab_server_error')).toBe(0);
  });

  it('in sse mode, cuts a stream at its first event past the keystroke', async () => {
    const { fake, script } = await scriptFor(scenario({ cancelAfter: '120ms' }), 'sse');
    // First token at 50 ms, then one every 30 ms: the event at 140 ms is past the keystroke.
    fake.stream = () => ({ status: 200, events: streamEvents(10, 50, 30) });
    iterate(script, fake, 'tab', 0, 4);
    expect(fake.count('floodgate_tab_cancelled')).toBe(4);
    expect(fake.count('floodgate_tab_ok')).toBe(0);
    const long = await scriptFor(scenario({ cancelAfter: '2s' }), 'sse');
    long.fake.stream = () => ({ status: 200, events: streamEvents(10, 50, 30) });
    iterate(long.script, long.fake, 'tab', 0, 4);
    expect(long.fake.count('floodgate_tab_ok')).toBe(4);
  });

  it('draws the gap per request from the seeded stream of its iteration', async () => {
    // Exponential, mean 600 ms, debounce 50 ms: 1 - exp(-50/600) = 8% are never sent.
    const input = scenario({ cancelAfter: { dist: 'exponential', mean: '600ms' }, debounce: '50ms' });
    const run = async (seed: number) => {
      const { fake, script } = await scriptFor({ ...input, seed });
      fake.respond = slowServer(300, OK);
      iterate(script, fake, 'tab', 0, 2000);
      return fake;
    };
    const a = await run(3);
    const unsent = 2000 - a.posts.length;
    expect(unsent / 2000).toBeGreaterThan(0.06);
    expect(unsent / 2000).toBeLessThan(0.1);
    // Cut when the gap is under debounce + 300 ms: 1 - exp(-350/600) = 44% cancelled in all.
    expect(a.count('floodgate_tab_cancelled') / 2000).toBeGreaterThan(0.4);
    expect(a.count('floodgate_tab_cancelled') / 2000).toBeLessThan(0.48);
    const timeouts = a.posts.map((p) => p.params.timeout);
    expect((await run(3)).posts.map((p) => p.params.timeout)).toEqual(timeouts);
    expect((await run(4)).posts.map((p) => p.params.timeout)).not.toEqual(timeouts);
  });

  it('maps cancelledShare SLOs to thresholds on the cancelled rates, with no coverage note', async () => {
    const { compiled } = await scriptFor(
      scenario(
        { cancelAfter: '200ms', debounce: '50ms' },
        {
          slos: [
            { class: 'tab', metric: 'cancelledShare', max: '40%' },
            { metric: 'cancelledShare', max: 0.5 },
          ],
        },
      ),
    );
    expect(compiled.config.options.thresholds).toMatchObject({
      floodgate_tab_cancelled_rate: ['rate<=0.4'],
      floodgate_cancelled_rate: ['rate<=0.5'],
    });
    expect(compiled.notes.join('\n')).not.toMatch(/cancel|debounce|unsupported/i);
    expect(compiled.config.classes[0]).toMatchObject({
      cancelAfter: { dist: 'deterministic', value: 200 },
      debounceMs: 50,
      session: null,
    });
  });

  it('puts cancelled requests in the summary JSON and text, and observe compares the share', async () => {
    // Deterministic service: every answer takes the same time, so the cancelled share is
    // P(keystroke gap < answer time) on both sides.
    const input = scenario(
      { cancelAfter: { dist: 'exponential', mean: '300ms' } },
      {
        duration: '3m',
        providers: [
          {
            name: 'api',
            kind: 'api',
            models: ['m1'],
            ttft: { dist: 'deterministic', value: '100ms' },
            outputRate: { dist: 'deterministic', value: '100/s' },
          },
        ],
      },
    );
    const predicted = await simulate(await loadScenarioObject(input));
    const tab = predicted.classes['tab']!;
    expect(tab.requests.cancelledShare).toBeGreaterThan(0.3);
    const { compiled, fake, script } = await scriptFor(input);
    fake.respond = slowServer(tab.latency.e2e.p50!, OK);
    iterate(script, fake, 'tab', 0, 1800);
    const files = script.handleSummary(fake.summaryData(compiled.config.options.thresholds));
    const summary = JSON.parse(files['floodgate-k6-summary.json']!) as K6Summary;
    for (const c of [summary.classes['tab']!, summary.overall]) {
      const o = c.outcomes;
      expect(o.cancelled).toBe(fake.count('floodgate_tab_cancelled'));
      expect(
        o.ok + o.rateLimited + o.serverError + o.timedOut + o.otherError + o.abandoned + o.cancelled!,
      ).toBe(c.requests);
      expect(c.sessions).toBeUndefined();
    }
    expect(files['stdout']).toMatch(/ cancel +ttft p50/);

    const comparison = compareRun(predicted, asK6Summary(summary, 'summary.json'), { tolerance: 0.2 });
    const row = comparison.rows.find((r) => r.scope === 'tab' && r.metric === 'cancelledShare')!;
    expect(row.predicted).toBeCloseTo(tab.requests.cancelledShare, 6);
    expect(row.verdict).toBe('ok');
    expect(comparison.rows.find((r) => r.scope === 'all' && r.metric === 'cancelledShare')!.verdict).toBe(
      'ok',
    );
    // A summary that saw no cancellations (or predates the field) differs.
    const old = structuredClone(summary);
    for (const c of [old.classes['tab']!, old.overall]) {
      c.outcomes.ok += c.outcomes.cancelled!;
      delete c.outcomes.cancelled;
    }
    const stale = compareRun(predicted, asK6Summary(old, 'old.json'), { tolerance: 0.2 });
    expect(stale.rows.find((r) => r.scope === 'tab' && r.metric === 'cancelledShare')).toMatchObject({
      observed: 0,
      verdict: 'differs',
    });
  });

  it('leaves observe rows unchanged for a run without cancellations', async () => {
    const input = scenario({});
    const predicted = await simulate(await loadScenarioObject(input));
    const { compiled, fake, script } = await scriptFor(input);
    fake.respond = slowServer(200, OK);
    iterate(script, fake, 'tab', 0, 50);
    const files = script.handleSummary(fake.summaryData(compiled.config.options.thresholds));
    const summary = asK6Summary(JSON.parse(files['floodgate-k6-summary.json']!), 's.json');
    expect(summary.overall.outcomes.cancelled).toBe(0);
    expect(files['stdout']).not.toMatch(/cancel/);
    const metrics = compareRun(predicted, summary, { tolerance: 0.2 }).rows.map((r) => r.metric);
    expect(metrics).not.toContain('cancelledShare');
    expect(metrics).not.toContain('sessionSuccessShare');
  });
});
