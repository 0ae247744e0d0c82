/**
 * The emulator through the official `openai` client, on 127.0.0.1: completions and streams with
 * the right token counts, OpenAI-shaped errors with their status codes and headers, faults from
 * the scenario, client disconnects, /v1/models, /metrics and /healthz.
 *
 * Time scale 10 keeps every request short (a 200 ms TTFT is 20 ms of real time). Timing checks
 * are lower bounds only (tokens never arrive before the model says), so a slow machine cannot
 * fail them.
 */
import { APIError, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { clientFor, loadEmulatorScenario, until, words } from './fixtures.ts';

const SCALE = 10;
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator(await loadEmulatorScenario(), { timeScale: SCALE });
});
afterAll(async () => {
  await emu?.close();
});

const messages = [{ role: 'user' as const, content: 'Tell me about queues, please.' }]; // 29 chars -> 8 tokens

async function metrics(path = '/metrics'): Promise<string> {
  const r = await fetch(`${emu.url}${path}`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.text();
}

/** Sum of a metric's samples whose label set contains `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  if (!found) throw new Error(`no sample of ${name} ${JSON.stringify(labels)}`);
  return sum;
}

describe('POST /v1/chat/completions', () => {
  it('answers a non-streaming request with max_tokens words and the usage', async () => {
    const r = await clientFor(emu).chat.completions.create({ model: 'fast-model', messages, max_tokens: 12 });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('fast-model');
    expect(words(r.choices[0]!.message.content)).toBe(12);
    expect(r.choices[0]!.message.role).toBe('assistant');
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage).toEqual({
      prompt_tokens: 8,
      completion_tokens: 12,
      total_tokens: 20,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });

  it('streams one chunk per token, then the finish reason, the usage and [DONE]', async () => {
    const started = performance.now();
    const stream = await clientFor(emu, 'fast').chat.completions.create({
      model: 'anything',
      messages,
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let contentChunks = 0;
    let firstChunkMs = Number.NaN;
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.content) {
        if (contentChunks === 0) {
          firstChunkMs = performance.now() - started;
          expect(choice.delta.role).toBe('assistant');
        }
        contentChunks++;
        content += choice.delta.content;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    const totalMs = performance.now() - started;
    expect(contentChunks).toBe(12);
    expect(words(content)).toBe(12);
    expect(content).toMatch(/^the quick brown fox/);
    expect(finish).toBe('length');
    expect(usage).toEqual({
      prompt_tokens: 8,
      completion_tokens: 12,
      total_tokens: 20,
      prompt_tokens_details: { cached_tokens: 0 },
    });
    // Paced by the model: first token after the 200 ms TTFT, the last 11 x 10 ms later (real: / 10).
    expect(firstChunkMs).toBeGreaterThanOrEqual(200 / SCALE - 1);
    expect(totalMs).toBeGreaterThanOrEqual((200 + 11 * 10) / SCALE - 1);
  });

  it('without max_tokens writes the output length of the class named in x-floodgate-class, else 128', async () => {
    const client = clientFor(emu, 'fast');
    const chat = await client.chat.completions.create(
      { model: 'fast-model', messages },
      { headers: { 'x-floodgate-class': 'chat' } },
    );
    expect(chat.usage?.completion_tokens).toBe(7);
    expect(chat.choices[0]!.finish_reason).toBe('stop');
    const plain = await client.chat.completions.create({ model: 'fast-model', messages });
    expect(words(plain.choices[0]!.message.content)).toBe(128);
  });

  it('answers 429 with retry-after and retry-after-ms (real time) when the rate limit is exhausted', async () => {
    const client = clientFor(emu);
    const ask = () => client.chat.completions.create({ model: 'limited-model', messages, max_tokens: 2 });
    await ask();
    await ask();
    const err = await ask().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.type).toBe('requests');
    expect(e.error).toMatchObject({ message: expect.stringMatching(/Please try again in \d+\.\d+s/) });
    // 2 rpm: the next request fits ~30 s (simulated) later, 3 s of real time at scale 10.
    const ms = Number(e.headers?.get('retry-after-ms'));
    expect(ms).toBeGreaterThan(2000);
    expect(ms).toBeLessThanOrEqual(3000);
    expect(e.headers?.get('retry-after')).toBe('3');
  });

  it('answers 503 server_error during an outage, and /p/{provider}/healthz says so', async () => {
    const err = await clientFor(emu, 'down')
      .chat.completions.create({ model: 'x', messages, max_tokens: 2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(503);
    expect((err as APIError).type).toBe('server_error');
    expect((await fetch(`${emu.url}/p/down/healthz`)).status).toBe(503);
    expect((await fetch(`${emu.url}/p/fast/healthz`)).status).toBe(200);
    expect((await fetch(`${emu.url}/healthz`)).status).toBe(200);
  });

  it('answers 400 context_length_exceeded when prompt + output exceed the context window', async () => {
    // 127,990 prompt tokens (4 characters each) + 100 output tokens > 128,000.
    const long = [{ role: 'user' as const, content: 'x'.repeat(4 * 127_990) }];
    const err = await clientFor(emu, 'fast')
      .chat.completions.create({ model: 'fast-model', messages: long, max_tokens: 100 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).code).toBe('context_length_exceeded');
    expect((err as BadRequestError).message).toBe(
      "400 This model's maximum context length is 128000 tokens. However, you requested 128090 tokens (127990 in the messages, 100 in the completion). Please reduce the length of the messages or completion.",
    );
  });

  it('answers 404 model_not_found for a model no provider serves, and 400 for a body without messages', async () => {
    const err = await clientFor(emu)
      .chat.completions.create({ model: 'gpt-9', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).code).toBe('model_not_found');
    const r = await fetch(`${emu.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast-model' }),
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      error: {
        message: "Missing required parameter: 'messages'.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'missing_required_parameter',
      },
    });
  });

  it('cuts a stream after the fault says, without a finish chunk: the client sees an error', async () => {
    const stream = await clientFor(emu, 'cut').chat.completions.create({
      model: 'cut',
      messages,
      max_tokens: 10,
      stream: true,
    });
    let contentChunks = 0;
    let finished = false;
    const err = await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) contentChunks++;
        if (chunk.choices[0]?.finish_reason) finished = true;
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(contentChunks).toBe(3);
    expect(finished).toBe(false);
  });

  it('cancels the attempt at the provider when the client disconnects', async () => {
    const before = emu.stats().providers['slow']!.requests['cancelled'] ?? 0;
    const controller = new AbortController();
    const pending = clientFor(emu, 'slow')
      .chat.completions.create({ model: 'slow', messages, max_tokens: 5 }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await until(
      async () => sample(await metrics(), 'floodgate_emulator_in_service', { provider: 'slow' }) === 1,
    );
    controller.abort();
    await pending;
    await until(
      async () => sample(await metrics(), 'floodgate_emulator_in_service', { provider: 'slow' }) === 0,
    );
    expect(emu.stats().providers['slow']!.requests['cancelled']).toBe(before + 1);
  });

  it('serves a GPU pool, and one replica of it under /p/{provider}/replicas/{i}', async () => {
    const r = await clientFor(emu, 'pool/replicas/1').chat.completions.create({
      model: 'pool',
      messages,
      max_tokens: 5,
    });
    expect(r.usage?.completion_tokens).toBe(5);
    const missing = await fetch(`${emu.url}/p/pool/replicas/7/v1/chat/completions`, { method: 'POST' });
    expect(missing.status).toBe(404);
  });
});

describe('GET /metrics', () => {
  it("exposes vLLM's gauges per GPU replica while a stream runs, and request counters per provider", async () => {
    const stream = await clientFor(emu, 'pool').chat.completions.create({
      model: 'pool',
      messages,
      max_tokens: 4000,
      stream: true,
    });
    const it = stream[Symbol.asyncIterator]();
    await it.next(); // the first token is out: the sequence is decoding on a replica
    const text = await metrics();
    expect(text).toContain('# TYPE vllm:num_requests_running gauge');
    expect(text).toContain('# TYPE vllm:num_requests_waiting gauge');
    expect(text).toContain('# TYPE vllm:gpu_cache_usage_perc gauge');
    expect(text).toMatch(/^vllm:num_requests_running\{model_name="pool",provider="pool",replica="0"\} \d+$/m);
    expect(text).toMatch(/^vllm:num_requests_waiting\{model_name="pool",provider="pool",replica="1"\} \d+$/m);
    expect(sample(text, 'vllm:num_requests_running', { provider: 'pool' })).toBe(1);
    expect(sample(text, 'vllm:gpu_cache_usage_perc', { provider: 'pool' })).toBeGreaterThan(0);
    expect(
      sample(text, 'floodgate_emulator_requests_total', { provider: 'fast', status: 'ok' }),
    ).toBeGreaterThan(0);
    stream.controller.abort();
    await until(async () => sample(await metrics(), 'vllm:num_requests_running', { provider: 'pool' }) === 0);
    // One replica's own endpoint shows only its gauges, as its own vLLM server would.
    const one = await metrics('/p/pool/replicas/1/metrics');
    expect(one).not.toContain('replica="0"');
    expect(one).toContain('replica="1"');
  });
});

describe('GET /v1/models', () => {
  it('lists the models every provider serves, and one provider under /p/{provider}', async () => {
    const ids: string[] = [];
    for await (const m of clientFor(emu).models.list()) ids.push(m.id);
    expect(ids).toEqual(['fast-model', 'limited-model', 'pool', 'cut', 'down', 'slow']);
    const one: string[] = [];
    for await (const m of clientFor(emu, 'limited').models.list()) one.push(m.id);
    expect(one).toEqual(['limited-model']);
  });
});

describe('close()', () => {
  it('ends open streams with an error event and refuses new requests', async () => {
    const own = await startEmulator(await loadEmulatorScenario(), { timeScale: SCALE });
    const stream = await clientFor(own, 'pool').chat.completions.create({
      model: 'pool',
      messages,
      max_tokens: 4000,
      stream: true,
    });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    const rest = (async () => {
      for (;;) if ((await it.next()).done) return undefined;
    })().catch((e: unknown) => e);
    await own.close();
    const err = await rest;
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).message).toMatch(/shutting down/);
    expect(own.stats().providers['pool']!.requests['shutdown']).toBe(1);
  });
});

describe('faults and load on the wall clock', () => {
  it('ends a stream with an error event when its GPU replica is lost mid-stream', async () => {
    const yaml = `
name: replica-loss
duration: 1h
providers:
  - { name: pool, kind: gpu, model: llama-3.1-8b, gpu: h100-80gb, replicas: 1 }
faults:
  - { provider: pool, kind: capacity-loss, fraction: 1, at: 2s, for: 1h }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: c }]
`;
    const own = await startEmulator(await loadEmulatorScenario(yaml), { timeScale: SCALE });
    try {
      const stream = await clientFor(own, 'pool').chat.completions.create({
        model: 'pool',
        messages,
        max_tokens: 10_000,
        stream: true,
      });
      let contentChunks = 0;
      const err = await (async () => {
        for await (const chunk of stream) if (chunk.choices[0]?.delta.content) contentChunks++;
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIError);
      expect((err as APIError).message).toMatch(/server error|server_error/);
      expect(contentChunks).toBeGreaterThan(0);
      expect(contentChunks).toBeLessThan(10_000);
      expect(own.stats().providers['pool']!.requests).toEqual({ server_error: 1 });
      expect((await fetch(`${own.url}/p/pool/healthz`)).status).toBe(503);
    } finally {
      await own.close();
    }
  });

  it('says so when it falls behind real time (here: the event loop blocked for 150 ms)', async () => {
    const warnings: string[] = [];
    const yaml = `
name: one-api
duration: 1h
providers:
  - name: fast
    kind: api
    ttft: { dist: deterministic, value: 200ms }
    outputRate: { dist: deterministic, value: 100/s }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: c }]
`;
    const own = await startEmulator(await loadEmulatorScenario(yaml), {
      timeScale: SCALE,
      lagThresholdMs: 50,
      onWarning: (m) => warnings.push(m),
    });
    try {
      const pending = clientFor(own, 'fast').chat.completions.create({
        model: 'fast',
        messages,
        max_tokens: 2,
      });
      await until(() => own.stats().openRequests === 1);
      const end = performance.now() + 150;
      while (performance.now() < end) {
        // busy: the completion, due 20 ms after arrival, runs ~130 ms late
      }
      await pending;
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^falling behind real time: 1 event ran more than 50 ms late/);
      expect(own.stats().lateEvents).toBe(1);
    } finally {
      await own.close();
    }
  });
});
