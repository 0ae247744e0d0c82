/**
 * The generated script against the provider emulator, over real HTTP. k6's http.post is
 * synchronous and the harness's fake cannot wait on a socket, so the run is recorded and
 * replayed: a first pass records the requests the script sends, they are sent to
 * `floodgate emulate`'s server with fetch, and a second pass (same seed, so the same bodies)
 * answers each request with the emulator's real response. What this checks is the contract
 * between the two: the emulator accepts the script's bodies and headers, and the script reads
 * the emulator's streams and JSON (usage, completion) as it reads a real server's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.ts';
import { bundleK6Script } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import { asK6Summary, compareRun } from '../../src/k6/observe.ts';
import type { ScriptConfig } from '../../src/k6/script-config.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { FakeK6, type FakeResponse, loadScript, streamBody } from './harness.ts';

const YAML = `
name: k6-emulator
duration: 1m
seed: 11
providers:
  - name: api
    kind: api
    models: [m1]
    capacity: 500
    ttft: { dist: deterministic, value: 100ms }
    outputRate: { dist: deterministic, value: 200/s }
workload:
  arrivals: { process: uniform, rate: 5/s }
  classes:
    - name: chat
      promptTokens: { dist: uniform, min: 50, max: 400 }
      outputTokens: { dist: uniform, min: 5, max: 40 }
    - name: batch
      stream: false
      promptTokens: 120
      outputTokens: 9
`;

let config: ScriptConfig;
let text: string;
let emu: Awaited<ReturnType<typeof startEmulator>>;
beforeAll(async () => {
  const loaded = await loadScenarioText(YAML, 'k6-emulator.yaml');
  config = compileK6(loaded).config;
  text = await bundleK6Script(config);
  emu = await startEmulator(loaded, { timeScale: 20 });
});
afterAll(async () => {
  await emu?.close();
});

/** Runs 8 iterations of each class, answering each request with `respond`. */
async function pass(respond: (body: string) => FakeResponse): Promise<FakeK6> {
  return (await passWithScript(respond)).fake;
}

async function passWithScript(respond: (body: string) => FakeResponse) {
  const fake = new FakeK6();
  fake.exec.scenario.startTime = fake.now - 60_000;
  fake.respond = (p) => respond(p.body);
  const script = await loadScript(text, fake, {
    FLOODGATE_TARGET: emu.url,
    FLOODGATE_SUMMARY: 'summary.json',
  });
  for (const c of config.classes)
    for (let i = 0; i < 8; i++) {
      fake.exec.scenario = { ...fake.exec.scenario, name: c.scenario, iterationInTest: i };
      script.default();
    }
  return { fake, script };
}

describe('a generated script against floodgate emulate', () => {
  it('is served: every request completes, with the usage the emulator reports', async () => {
    const recorded = await pass(() => ({ status: 200, body: streamBody(1) }));
    const answers = new Map<string, FakeResponse>();
    for (const p of recorded.posts) {
      const started = performance.now();
      const res = await fetch(p.url, { method: 'POST', headers: p.params.headers, body: p.body });
      const firstByte = performance.now() - started;
      const body = await res.text();
      const headers: Record<string, string> = {};
      res.headers.forEach((value, key) => {
        headers[key] = value;
      });
      answers.set(p.body, {
        status: res.status,
        body,
        headers,
        timings: { waiting: firstByte, receiving: performance.now() - started - firstByte },
      });
    }
    expect([...answers.values()].map((a) => a.status)).toEqual(new Array(16).fill(200));

    const { fake: replay, script } = await passWithScript(
      (body) => answers.get(body) ?? { status: 599, body: 'not recorded' },
    );
    expect(replay.posts.map((p) => p.body)).toEqual(recorded.posts.map((p) => p.body));
    expect(replay.count('floodgate_ok')).toBe(16);
    for (const c of ['chat', 'batch']) {
      const bodies = replay.posts
        .filter((p) => p.params.headers['X-Floodgate-Class'] === c)
        .map((p) => JSON.parse(p.body) as { max_tokens: number; messages: { content: string }[] });
      // The emulator writes exactly max_tokens and counts ceil(characters / 4) prompt tokens:
      // the script's words are four characters per token, so both sides agree on the sizes.
      expect(replay.count(`floodgate_${c}_output_tokens`)).toBe(bodies.reduce((a, b) => a + b.max_tokens, 0));
      expect(replay.count(`floodgate_${c}_input_tokens`)).toBe(
        bodies.reduce((a, b) => a + b.messages[0]!.content.split(' ').length, 0),
      );
    }
    expect(replay.samples('floodgate_chat_tpot')).toHaveLength(8);
    expect(replay.samples('floodgate_batch_tpot')).toHaveLength(0);
    // The emulator sends headers with the first token: TTFB is the modelled 100 ms / 20.
    for (const ttft of replay.samples('floodgate_chat_ttft')) expect(ttft).toBeGreaterThanOrEqual(4);

    // Read back: the script's handleSummary feeds `floodgate observe` against the simulator's
    // prediction for the same scenario.
    const files = script.handleSummary(replay.summaryData(config.options.thresholds, 60_000));
    const observed = asK6Summary(JSON.parse(files['summary.json']!), 'summary.json');
    const predicted = await simulate(await loadScenarioText(YAML, 'k6-emulator.yaml'));
    const comparison = compareRun(predicted, observed, { tolerance: 0.2 });
    expect(comparison.rows.map((r) => r.scope)).toEqual(expect.arrayContaining(['chat', 'batch', 'all']));
    const errors = comparison.rows.find((r) => r.scope === 'all' && r.metric === 'errorShare')!;
    expect(errors.observed).toBe(0);
    expect(errors.verdict).toBe('ok');
    const ttft = comparison.rows.find((r) => r.scope === 'chat' && r.metric === 'ttft.p50')!;
    expect(ttft.predicted).toBeGreaterThan(0);
    expect(ttft.observed).toBeGreaterThan(0);
  });
});
