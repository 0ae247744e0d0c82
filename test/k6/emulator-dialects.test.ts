/**
 * Each dialect's compiled script against `floodgate emulate`'s server in the same dialect, over
 * real HTTP (record and replay, as emulator.test.ts does for chat completions): the emulator
 * accepts the script's path, headers and body, and the script reads the emulator's answers,
 * whole and streamed (stock k6 and xk6-sse), taking usage and TTFT in that dialect. The two sides
 * were written apart (src/emulator/dialects, k6/runtime/dialect.ts) from the same table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.ts';
import { bundleK6Script } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import type { ScriptConfig } from '../../src/k6/script-config.ts';
import type { ApiDialect } from '../../src/providers/dialects.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { type FakeEvent, FakeK6, type FakePost, type FakeResponse, loadScript } from './harness.ts';

const DIALECTS: readonly ApiDialect[] = ['openai-chat', 'openai-responses', 'anthropic-messages', 'gemini'];
const PROMPT = 240;
const OUTPUT = 24;

const YAML = `
name: k6-emulator-dialects
duration: 1m
seed: 7
providers:
${DIALECTS.map(
  (api) => `  - name: ${api}
    kind: api
    api: ${api}
    models: [m-${api}]
    capacity: 500
    ttft: { dist: deterministic, value: 100ms }
    outputRate: { dist: deterministic, value: 200/s }`,
).join('\n')}
workload:
  arrivals: { process: uniform, rate: 4/s }
  classes:
${DIALECTS.map(
  (api) => `    - { name: c-${api}, models: [m-${api}], promptTokens: ${PROMPT}, outputTokens: ${OUTPUT} }`,
).join('\n')}
`;

let emu: Awaited<ReturnType<typeof startEmulator>>;
beforeAll(async () => {
  emu = await startEmulator(await loadScenarioText(YAML, 'k6-emulator-dialects.yaml'), { timeScale: 20 });
});
afterAll(async () => {
  await emu?.close();
});

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

async function send(p: FakePost): Promise<Answer> {
  const res = await fetch(p.url, { method: 'POST', headers: p.params.headers, body: p.body });
  const headers: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return { status: res.status, body: await res.text(), headers };
}

/** A server-sent-event body as xk6-sse hands it over: one event per block, its data lines joined. */
function sseEvents(body: string): FakeEvent[] {
  return body
    .split(/\r?\n\r?\n/)
    .map((block) =>
      block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n'),
    )
    .filter((data) => data !== '')
    .map((data, i) => ({ delayMs: i === 0 ? 5 : 1, data }));
}

async function scriptFor(mode: 'stock' | 'sse'): Promise<{ config: ScriptConfig; text: string }> {
  const loaded = await loadScenarioText(YAML, 'k6-emulator-dialects.yaml');
  const { config } = compileK6(loaded, { mode });
  return { config, text: await bundleK6Script(config) };
}

/** Runs 3 iterations of each class, `respond` answering k6/http posts and `stream` xk6-sse opens. */
async function pass(
  script: { config: ScriptConfig; text: string },
  answer: (p: FakePost) => Answer,
): Promise<FakeK6> {
  const fake = new FakeK6();
  fake.exec.scenario.startTime = fake.now - 60_000;
  fake.respond = (p): FakeResponse => {
    const a = answer(p);
    return { ...a, timings: { waiting: 5, receiving: 1 } };
  };
  fake.stream = (p) => {
    const a = answer(p);
    return { status: a.status, events: a.status === 200 ? sseEvents(a.body) : [] };
  };
  const loaded = await loadScript(script.text, fake, {
    FLOODGATE_TARGET: emu.url,
    FLOODGATE_SUMMARY: 'stdout',
  });
  for (const c of script.config.classes)
    for (let i = 0; i < 3; i++) {
      fake.exec.scenario = { ...fake.exec.scenario, name: c.scenario, iterationInTest: i };
      loaded.default();
    }
  return fake;
}

describe.each(['stock', 'sse'] as const)('each dialect against floodgate emulate (%s k6)', (mode) => {
  it('is served in its own dialect and read back: every request completes with its usage and a TTFT', async () => {
    const script = await scriptFor(mode);
    const recorded = await pass(script, () => ({ status: 200, body: '', headers: {} }));
    const answers = new Map<string, Answer>();
    for (const p of recorded.posts) answers.set(`${p.url}\n${p.body}`, await send(p));
    // Each class went to its own dialect's path, and the emulator served all of them.
    const paths = recorded.posts.map((p) => new URL(p.url).pathname);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/chat/completions',
        '/v1/responses',
        '/v1/messages',
        expect.stringMatching(/^\/v1beta\/models\/m-gemini:(streamGenerateContent|generateContent)$/),
      ]),
    );
    expect([...answers.values()].map((a) => a.status)).toEqual(new Array(12).fill(200));

    const replay = await pass(
      script,
      (p) => answers.get(`${p.url}\n${p.body}`) ?? { status: 599, body: 'not recorded', headers: {} },
    );
    expect(replay.count('floodgate_ok')).toBe(12);
    for (const api of DIALECTS) {
      const c = `c_${api.replace(/-/g, '_')}`;
      const ttft = replay.samples(`floodgate_${c}_ttft`);
      const output = replay.count(`floodgate_${c}_output_tokens`);
      const input = replay.count(`floodgate_${c}_input_tokens`);
      // Usage as the emulator counted it, read in the dialect's own fields.
      expect({ api, requests: ttft.length, output, input }).toMatchObject({
        api,
        requests: 3,
        output: 3 * OUTPUT,
      });
      expect(input).toBeGreaterThan(0);
      for (const t of ttft) expect(t).toBeGreaterThan(0);
    }
    expect(replay.count('floodgate_overloaded') + replay.count('floodgate_errors')).toBe(0);
  });
});
