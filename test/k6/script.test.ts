/**
 * The generated script itself, run under the fake k6 of harness.ts: its exported options, the
 * requests its iterations send, how it times and counts them, and the summary it writes.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleK6Script, scriptImports } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import type { ScriptConfig } from '../../src/k6/script-config.ts';
import { K6_SUMMARY_SCHEMA, type K6Summary } from '../../src/k6/summary-schema.ts';
import { type LoadedScenario, loadScenarioFile, loadScenarioObject } from '../../src/scenario/load.ts';
import { FakeK6, type FakePost, type LoadedScript, loadScript, streamBody, streamEvents } from './harness.ts';

const QUICKSTART = join(import.meta.dirname, '../../scenarios/quickstart.yaml');

let loaded: LoadedScenario;
let config: ScriptConfig;
let stock: string;
let sse: string;
beforeAll(async () => {
  loaded = await loadScenarioFile(QUICKSTART);
  config = compileK6(loaded, { timeScale: 0.1, rateScale: 0.5 }).config;
  stock = await bundleK6Script(config);
  sse = await bundleK6Script({ ...config, mode: 'sse' });
});

/** A fake k6 with the clock past the (scaled) warmup, so iterations are summarised. */
function fakeAfterWarmup(): FakeK6 {
  const fake = new FakeK6();
  fake.exec.scenario.startTime = fake.now - 10_000;
  return fake;
}

/** Runs iterations `from`..`to`-1 of a class's scenario. */
function iterate(script: LoadedScript, fake: FakeK6, scenario: string, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    fake.exec.scenario = {
      ...fake.exec.scenario,
      name: scenario,
      iterationInTest: i,
      iterationInInstance: i,
    };
    script.default();
  }
}

const bodyOf = (p: FakePost) =>
  JSON.parse(p.body) as {
    model: string;
    messages: { role: string; content: string }[];
    max_tokens: number;
    stream: boolean;
    stream_options?: { include_usage: boolean };
  };

describe('a generated script', () => {
  it('imports only k6 modules (k6/x/sse in sse mode) and runs without Node globals', async () => {
    expect(scriptImports(stock)).toEqual(['k6', 'k6/data', 'k6/execution', 'k6/http', 'k6/metrics']);
    expect(scriptImports(sse)).toEqual([
      'k6',
      'k6/data',
      'k6/execution',
      'k6/http',
      'k6/metrics',
      'k6/x/sse',
    ]);
    for (const text of [stock, sse]) {
      expect(text).not.toMatch(/\b(process\.|Buffer\b|setTimeout\(|TextEncoder|globalThis\.fetch)/);
      const fake = fakeAfterWarmup();
      fake.respond = () => ({ status: 200, body: streamBody(5) });
      fake.stream = () => ({ status: 200, events: streamEvents(5, 50, 5) });
      const script = await loadScript(text, fake);
      iterate(script, fake, 'tab', 0, 3);
      expect(fake.count('floodgate_tab_ok')).toBe(3);
    }
  });

  it('exports the compiled options: stages, VUs, thresholds, summaryTrendStats', async () => {
    const script = await loadScript(stock, new FakeK6());
    expect(JSON.parse(JSON.stringify(script.options))).toEqual(config.options);
    expect(script.options.thresholds['dropped_iterations']).toEqual(['count==0']);
    expect(typeof script.handleSummary).toBe('function');
  });

  it('sends OpenAI chat-completions bodies sized by the class, deterministic per seed and iteration', async () => {
    const run = async (text: string) => {
      const fake = fakeAfterWarmup();
      fake.respond = () => ({ status: 200, body: streamBody(3) });
      const script = await loadScript(text, fake);
      iterate(script, fake, 'tab', 0, 200);
      return fake.posts.map(bodyOf);
    };
    const a = await run(stock);
    const b = await run(stock);
    expect(b).toEqual(a);
    expect(new Set(a.map((x) => x.messages[0]!.content)).size).toBe(200);
    const reseeded = await run(
      await bundleK6Script({ ...config, scenario: { ...config.scenario, seed: 43 } }),
    );
    expect(reseeded[0]).not.toEqual(a[0]);
    const first = a[0]!;
    expect(first.model).toBe('small-model');
    expect(first.stream).toBe(true);
    expect(first.stream_options).toEqual({ include_usage: true });
    expect(first.messages[0]!.role).toBe('user');
    // Only session calls name a prompt cache key (the session).
    expect(a.some((x) => 'prompt_cache_key' in x)).toBe(false);
    // tab: prompt tokens lognormal(median 1500), output lognormal(median 24); one word per token.
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    expect(median(a.map((x) => x.messages[0]!.content.split(' ').length))).toBeGreaterThan(1200);
    expect(median(a.map((x) => x.messages[0]!.content.split(' ').length))).toBeLessThan(1900);
    expect(median(a.map((x) => x.max_tokens))).toBeGreaterThan(18);
    expect(median(a.map((x) => x.max_tokens))).toBeLessThan(31);
    expect(a.every((x) => Number.isInteger(x.max_tokens) && x.max_tokens >= 1)).toBe(true);
  });

  it('sends a class prefix as a system message shared by its group, with four characters per token', async () => {
    const loadedPrefix = await loadScenarioObject({
      name: 'prefixed',
      duration: '1m',
      seed: 9,
      providers: [{ name: 'api', kind: 'api' }],
      workload: {
        arrivals: { rate: '10/s' },
        classes: [{ name: 'agent', promptTokens: 300, outputTokens: 10, prefix: { groups: 2, tokens: 200 } }],
      },
    });
    const fake = fakeAfterWarmup();
    fake.respond = () => ({ status: 200, body: streamBody(2) });
    const script = await loadScript(await bundleK6Script(compileK6(loadedPrefix).config), fake);
    iterate(script, fake, 'agent', 0, 20);
    const bodies = fake.posts.map(bodyOf);
    const systems = new Set(bodies.map((b) => b.messages[0]!.content));
    expect(systems.size).toBe(2);
    for (const b of bodies) {
      expect(b.messages.map((m) => m.role)).toEqual(['system', 'user']);
      expect(b.messages[0]!.content.split(' ')).toHaveLength(200);
      expect(b.messages[1]!.content.split(' ')).toHaveLength(100);
      // The emulator's estimate, ceil(characters / 4), gives back the token counts.
      expect(Math.ceil(b.messages[0]!.content.length / 4)).toBe(200);
    }
  });

  it('replays a trace: iteration i sends the sizes of its record, from a SharedArray', async () => {
    const trace = await loadScenarioFile(join(import.meta.dirname, '../../scenarios/azure-trace.yaml'));
    const compiled = compileK6(trace, { timeScale: 0.1, rateScale: 0.5 });
    const text = await bundleK6Script(compiled.config, { traces: compiled.traces });
    expect(text).toMatch(/new SharedArray\(`floodgate-trace-/);
    const fake = fakeAfterWarmup();
    fake.respond = () => ({ status: 200, body: streamBody(2) });
    const script = await loadScript(text, fake);
    expect(fake.sharedArrays).toEqual(['floodgate-trace-conversation']);
    iterate(script, fake, 'conversation', 0, 60);
    const records = compiled.traces['conversation']!;
    const perRecord = compiled.config.classes[0]!.trace!.iterationsPerRecord;
    expect(perRecord).toBeCloseTo(0.05, 6);
    fake.posts.map(bodyOf).forEach((b, i) => {
      const [prompt, output] = records[Math.floor(i / perRecord)]!;
      expect(b.max_tokens).toBe(output);
      expect(b.messages[0]!.content.split(' ')).toHaveLength(prompt);
    });
    await expect(bundleK6Script(compiled.config)).rejects.toThrow(
      /trace records of class 'conversation' missing/,
    );
  });

  it('reads the target, API key and extra headers from the environment', async () => {
    const fake = fakeAfterWarmup();
    fake.respond = () => ({ status: 200, body: streamBody(2) });
    const script = await loadScript(stock, fake, {
      FLOODGATE_TARGET: 'http://gateway.test:9000/',
      FLOODGATE_API_KEY: 'sk-test-123',
      FLOODGATE_HEADERS: '{"x-team":"load"}',
      FLOODGATE_MODEL: 'other-model',
      FLOODGATE_BODY: '{"ignore_eos":true}',
    });
    iterate(script, fake, 'chat', 0, 1);
    const post = fake.posts[0]!;
    expect(post.url).toBe('http://gateway.test:9000/v1/chat/completions');
    expect(post.params.headers).toMatchObject({
      Authorization: 'Bearer sk-test-123',
      'x-team': 'load',
      'Content-Type': 'application/json',
      'X-Floodgate-Class': 'chat',
    });
    expect(post.params.timeout).toBe(30_000);
    expect(bodyOf(post)).toMatchObject({ model: 'other-model', ignore_eos: true });
    expect(stock).not.toContain('sk-test');
    // Without FLOODGATE_TARGET: the compiler's --target.
    const fake2 = fakeAfterWarmup();
    const script2 = await loadScript(stock, fake2);
    iterate(script2, fake2, 'chat', 0, 1);
    expect(fake2.posts[0]!.url).toBe('http://localhost:8000/v1/chat/completions');
  });

  it('times a stock request: TTFT is time to first byte, E2E the whole request, TPOT from usage', async () => {
    const fake = fakeAfterWarmup();
    fake.respond = () => ({
      status: 200,
      body: streamBody(11),
      timings: { connecting: 5, sending: 1, waiting: 120, receiving: 200 },
    });
    const script = await loadScript(stock, fake);
    iterate(script, fake, 'tab', 0, 1);
    expect(fake.samples('floodgate_tab_ttft')).toEqual([126]);
    expect(fake.samples('floodgate_tab_e2e')).toEqual([326]);
    expect(fake.samples('floodgate_tab_tpot')).toEqual([20]);
    expect(fake.samples('floodgate_ttft')).toEqual([126]);
    expect(fake.count('floodgate_tab_output_tokens')).toBe(11);
    expect(fake.count('floodgate_tab_input_tokens')).toBe(100);
    expect(fake.samples('floodgate_tab_goodput_rate')).toEqual([1]);
  });

  it('retries as the client does: a 429 waits its Retry-After, a 5xx ends as serverError after max tries', async () => {
    const fake = fakeAfterWarmup();
    let calls = 0;
    fake.respond = () =>
      ++calls === 1
        ? { status: 429, headers: { 'Retry-After': '2' }, timings: { waiting: 10 } }
        : { status: 200, body: streamBody(4), timings: { waiting: 50 } };
    const script = await loadScript(stock, fake);
    iterate(script, fake, 'tab', 0, 1);
    expect(fake.count('floodgate_tab_attempts')).toBe(2);
    expect(fake.count('floodgate_tab_ok')).toBe(1);
    expect(fake.sleeps).toHaveLength(1);
    expect(fake.sleeps[0]).toBeGreaterThanOrEqual(2);
    // TTFT counts from arrival: the failed try and the backoff are in it.
    expect(fake.samples('floodgate_tab_ttft')[0]).toBeCloseTo(10 + fake.sleeps[0]! * 1000 + 50, 6);

    fake.respond = () => ({ status: 503, timings: { waiting: 5 } });
    iterate(script, fake, 'tab', 1, 2);
    expect(fake.count('floodgate_tab_attempts')).toBe(4);
    expect(fake.count('floodgate_tab_server_error')).toBe(1);
    expect(fake.samples('floodgate_tab_error_rate')).toEqual([0, 1]);
    expect(fake.sleeps[1]).toBeLessThanOrEqual(0.5);

    fake.respond = () => ({ status: 0, error: 'request timeout', error_code: 1050 });
    iterate(script, fake, 'tab', 2, 3);
    expect(fake.count('floodgate_tab_timeout')).toBe(1);
    expect(fake.samples('floodgate_tab_timeout_rate')).toEqual([0, 0, 1]);

    fake.respond = () => ({ status: 400, body: '{"error":{}}' });
    iterate(script, fake, 'tab', 3, 4);
    expect(fake.count('floodgate_tab_error_other')).toBe(1);
    expect(fake.count('floodgate_tab_attempts')).toBe(7);
    expect(fake.count('floodgate_tab_requests')).toBe(4);
  });

  it('sends warmup requests but leaves them out of the summary metrics', async () => {
    const fake = new FakeK6();
    fake.exec.scenario.startTime = fake.now;
    fake.respond = () => ({ status: 200, body: streamBody(2) });
    const script = await loadScript(stock, fake);
    iterate(script, fake, 'tab', 0, 2);
    expect(fake.posts).toHaveLength(2);
    expect(fake.count('floodgate_warmup_requests')).toBe(2);
    expect(fake.count('floodgate_tab_requests')).toBe(0);
  });

  it('in sse mode, takes TTFT at the first content event and the gaps between events as ITL', async () => {
    const fake = fakeAfterWarmup();
    fake.stream = () => ({ status: 200, events: streamEvents(4, 80, 15) });
    const script = await loadScript(sse, fake);
    iterate(script, fake, 'chat', 0, 1);
    expect(fake.samples('floodgate_chat_ttft')).toEqual([80]);
    expect(fake.samples('floodgate_chat_itl')).toEqual([15, 15, 15]);
    expect(fake.count('floodgate_chat_output_tokens')).toBe(4);
    expect(bodyOf(fake.posts[0]!).stream).toBe(true);
  });

  it('writes a floodgate/k6-summary@1 JSON and a text summary from handleSummary', async () => {
    const fake = fakeAfterWarmup();
    let n = 0;
    fake.respond = () =>
      ++n % 10 === 0
        ? { status: 503, timings: { waiting: 5 } }
        : { status: 200, body: streamBody(8), timings: { waiting: 100 + (n % 7) * 10, receiving: 80 } };
    const script = await loadScript(stock, fake, { FLOODGATE_SUMMARY: 'out/summary.json' });
    iterate(script, fake, 'tab', 0, 30);
    iterate(script, fake, 'chat', 0, 10);
    const files = script.handleSummary(fake.summaryData(config.options.thresholds, 61_000));
    expect(Object.keys(files).sort()).toEqual(['out/summary.json', 'stdout']);
    const s = JSON.parse(files['out/summary.json']!) as K6Summary;
    expect(s).toMatchObject({
      schema: K6_SUMMARY_SCHEMA,
      scenario: { name: 'quickstart', seed: 42, durationMs: 720_000, warmupMs: 60_000 },
      mode: 'stock',
      ttftSource: 'ttfb',
      timeScale: 0.1,
      rateScale: 0.5,
      parallelism: 1,
      measuredMs: 66_000,
      testRunDurationMs: 61_000,
      droppedIterations: 0,
      warmupRequests: 0,
      pass: true,
    });
    expect(Object.keys(s.classes)).toEqual(['tab', 'chat']);
    for (const c of [s.classes['tab']!, s.classes['chat']!, s.overall]) {
      const o = c.outcomes;
      expect(o.ok + o.rateLimited + o.serverError + o.timedOut + o.otherError + o.abandoned).toBe(c.requests);
      expect(c.ttft.count).toBe(o.ok);
      for (const k of ['mean', 'p50', 'p90', 'p95', 'p99', 'max'] as const)
        expect(c.ttft[k]).toEqual(expect.any(Number));
      expect(c.itl).toMatchObject({ count: 0, p50: null });
    }
    expect(s.overall.requests).toBe(40);
    expect(s.classes['tab']!.requests).toBe(30);
    expect(s.overall.outputTokens).toBe(8 * s.overall.outcomes.ok);
    expect(s.thresholds).toContainEqual({
      metric: 'floodgate_tab_ttft',
      threshold: 'p(99)<=1500',
      pass: true,
    });
    expect(s.thresholds).toContainEqual({
      metric: 'dropped_iterations{scenario:chat}',
      threshold: 'count==0',
      pass: true,
    });
    expect(files['stdout']).toMatch(/^floodgate k6 {2}quickstart {2}seed 42, mode stock/);
    expect(files['stdout']).toMatch(/\ntab +30 +/);
    expect(files['stdout']).toMatch(/thresholds: 7\/7 pass/);

    const line = await loadScript(stock, fake, { FLOODGATE_SUMMARY: 'stdout', FLOODGATE_PARALLELISM: '4' });
    const printed = line.handleSummary(fake.summaryData(config.options.thresholds));
    const parsed = JSON.parse(printed['stdout']!) as K6Summary;
    expect(parsed.schema).toBe(K6_SUMMARY_SCHEMA);
    expect(parsed.parallelism).toBe(4);
    expect(printed['stderr']).toMatch(/^floodgate k6/);
  });

  it("reports this load generator's share of the planned iterations as a whole number", async () => {
    const fake = fakeAfterWarmup();
    const script = await loadScript(stock, fake, { FLOODGATE_SUMMARY: 'stdout', FLOODGATE_PARALLELISM: '3' });
    const s = JSON.parse(
      script.handleSummary(fake.summaryData(config.options.thresholds))['stdout']!,
    ) as K6Summary;
    const planned = config.classes.reduce((a, c) => a + c.expectedIterations, 0);
    expect(planned % 3).not.toBe(0);
    expect(s.expectedIterations).toBe(Math.round(planned / 3));
  });
});
