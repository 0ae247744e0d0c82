/**
 * A class speaks its provider's dialect (`api:`): the compiled script, run under the fake k6 of
 * harness.ts, sends each dialect's path, headers and body, takes TTFT at the dialect's first
 * content event (sse mode), reads its usage (cached tokens included) and classifies its errors as
 * the dialect table says (src/providers/dialects.ts), against answers built after the providers'
 * API references (dialect-fixtures.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleK6Script } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import { DIALECT_COVERAGE } from '../../src/k6/coverage.ts';
import type { K6Summary } from '../../src/k6/summary-schema.ts';
import { API_DIALECTS, type ApiDialect } from '../../src/providers/dialects.ts';
import { loadScenarioFile, loadScenarioObject } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import {
  anthropicOverloadedStream,
  dialectResponse,
  dialectStreamBody,
  dialectStreamEvents,
  ERROR_BODIES,
  USAGE,
} from './dialect-fixtures.ts';
import { type FakeK6, type FakeResponse, fakeAfterWarmup, iterate, loadScript } from './harness.ts';

const ROOT = join(import.meta.dirname, '../..');

interface ClassOptions {
  stream?: boolean;
  prefix?: boolean;
  retries?: { max: number; on: string[] };
}

/** The script of a one-class scenario whose one provider speaks `api`. */
async function scriptFor(api: ApiDialect, mode: 'stock' | 'sse', o: ClassOptions = {}): Promise<string> {
  const loaded = await loadScenarioObject({
    name: `dialect-${api}`,
    duration: '1m',
    seed: 5,
    providers: [{ name: 'p', kind: 'api', api, models: ['m-1'] }],
    workload: {
      arrivals: { rate: '10/s' },
      classes: [
        {
          name: 'chat',
          stream: o.stream ?? true,
          promptTokens: 300,
          outputTokens: 10,
          ...(o.prefix ? { prefix: { groups: 1, tokens: 200 } } : {}),
          ...(o.retries ? { client: { retries: { ...o.retries, backoff: { base: 0, cap: 0 } } } } : {}),
        },
      ],
    },
  });
  return bundleK6Script(compileK6(loaded, { mode }).config);
}

/** Runs `n` iterations of class `chat` against the fake; returns the fake. */
async function run(
  text: string,
  answer: { respond?: FakeK6['respond']; stream?: FakeK6['stream'] },
  n = 1,
  env: Record<string, string> = {},
): Promise<FakeK6> {
  const fake = fakeAfterWarmup();
  if (answer.respond) fake.respond = answer.respond;
  if (answer.stream) fake.stream = answer.stream;
  const script = await loadScript(text, fake, env);
  iterate(script, fake, 'chat', 0, n);
  return fake;
}

const ENV = { FLOODGATE_TARGET: 'http://gw.test:9000/v1', FLOODGATE_API_KEY: 'key-1' };

describe('each dialect on the wire', () => {
  it('openai-chat: POST /v1/chat/completions with a bearer token, messages and stream_options', async () => {
    const fake = await run(
      await scriptFor('openai-chat', 'stock'),
      {
        respond: () => ({ status: 200, body: dialectStreamBody('openai-chat') }),
      },
      1,
      ENV,
    );
    const post = fake.posts[0]!;
    expect(post.url).toBe('http://gw.test:9000/v1/chat/completions');
    expect(post.params.headers['Authorization']).toBe('Bearer key-1');
    const body = JSON.parse(post.body);
    expect(Object.keys(body)).toEqual(['model', 'messages', 'max_tokens', 'stream', 'stream_options']);
    expect(body.model).toBe('m-1');
  });

  it('openai-responses: POST /v1/responses with the messages as `input` and max_output_tokens', async () => {
    const fake = await run(
      await scriptFor('openai-responses', 'stock', { prefix: true }),
      {
        respond: () => ({ status: 200, body: dialectStreamBody('openai-responses') }),
      },
      1,
      ENV,
    );
    const post = fake.posts[0]!;
    expect(post.url).toBe('http://gw.test:9000/v1/responses');
    expect(post.params.headers['Authorization']).toBe('Bearer key-1');
    const body = JSON.parse(post.body);
    expect(body).toMatchObject({ model: 'm-1', max_output_tokens: 16, stream: true });
    expect(body.input.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(body).not.toHaveProperty('messages');
  });

  it('anthropic-messages: POST /v1/messages with x-api-key and anthropic-version, the prefix as a cached system block', async () => {
    const fake = await run(
      await scriptFor('anthropic-messages', 'stock', { prefix: true }),
      {
        respond: () => ({ status: 200, body: dialectStreamBody('anthropic-messages') }),
      },
      1,
      ENV,
    );
    const post = fake.posts[0]!;
    expect(post.url).toBe('http://gw.test:9000/v1/messages');
    expect(post.params.headers['x-api-key']).toBe('key-1');
    expect(post.params.headers['anthropic-version']).toBe('2023-06-01');
    expect(post.params.headers).not.toHaveProperty('Authorization');
    const body = JSON.parse(post.body);
    expect(body).toMatchObject({ model: 'm-1', max_tokens: 10, stream: true });
    expect(body.system).toHaveLength(1);
    expect(body.system[0]).toMatchObject({ type: 'text', cache_control: { type: 'ephemeral' } });
    expect(body.system[0].text.split(' ')).toHaveLength(200);
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0].role).toBe('user');
    expect(body.messages[0].content.split(' ')).toHaveLength(100);
  });

  it('gemini: the model in the path (streamGenerateContent?alt=sse when streaming), x-goog-api-key, contents', async () => {
    for (const stream of [true, false]) {
      const fake = await run(
        await scriptFor('gemini', 'stock', { prefix: true, stream }),
        {
          respond: () => ({
            status: 200,
            body: stream ? dialectStreamBody('gemini') : dialectResponse('gemini'),
          }),
        },
        1,
        { ...ENV, FLOODGATE_MODEL: 'gemini/x y' },
      );
      const post = fake.posts[0]!;
      expect(post.url).toBe(
        stream
          ? 'http://gw.test:9000/v1beta/models/gemini%2Fx%20y:streamGenerateContent?alt=sse'
          : 'http://gw.test:9000/v1beta/models/gemini%2Fx%20y:generateContent',
      );
      expect(post.params.headers['x-goog-api-key']).toBe('key-1');
      expect(post.params.headers).not.toHaveProperty('Authorization');
      const body = JSON.parse(post.body);
      expect(Object.keys(body).sort()).toEqual(['contents', 'generationConfig', 'systemInstruction']);
      expect(body.generationConfig).toEqual({ maxOutputTokens: 10 });
      expect(body.contents).toHaveLength(1);
      expect(body.contents[0].role).toBe('user');
      expect(body.systemInstruction.parts[0].text.split(' ')).toHaveLength(200);
      expect(fake.count('floodgate_chat_ok')).toBe(1);
    }
  });

  it('sends no key header without FLOODGATE_API_KEY, and FLOODGATE_HEADERS and FLOODGATE_BODY still apply', async () => {
    const fake = await run(
      await scriptFor('anthropic-messages', 'stock'),
      {
        respond: () => ({ status: 200, body: dialectStreamBody('anthropic-messages') }),
      },
      1,
      { FLOODGATE_HEADERS: '{"x-team":"load"}', FLOODGATE_BODY: '{"temperature":0}' },
    );
    const post = fake.posts[0]!;
    expect(post.url).toBe('http://localhost:8000/v1/messages');
    expect(post.params.headers).not.toHaveProperty('x-api-key');
    expect(post.params.headers['anthropic-version']).toBe('2023-06-01');
    expect(post.params.headers['x-team']).toBe('load');
    expect(JSON.parse(post.body).temperature).toBe(0);
  });
});

describe('each dialect read back', () => {
  it.each(API_DIALECTS)(
    '%s, sse mode: TTFT at the first content event, gaps between content events, usage',
    async (api) => {
      // Non-content events (message_start, ping, response.created...) come 40 ms apart first.
      const { events, firstContentMs } = dialectStreamEvents(api, 100, 40, 25);
      const fake = await run(await scriptFor(api, 'sse'), { stream: () => ({ status: 200, events }) }, 2);
      expect(fake.count('floodgate_chat_ok')).toBe(2);
      expect(fake.samples('floodgate_chat_ttft')).toEqual([firstContentMs, firstContentMs]);
      // Three content events: two gaps each.
      expect(fake.samples('floodgate_chat_itl')).toEqual([25, 25, 25, 25]);
      expect(fake.count('floodgate_chat_input_tokens')).toBe(2 * USAGE.prompt);
      expect(fake.count('floodgate_chat_output_tokens')).toBe(2 * USAGE.output);
      expect(fake.count('floodgate_chat_cached_tokens')).toBe(2 * USAGE.cached);
    },
  );

  it('the first content event is not the first event (Gemini streams content from its first chunk)', () => {
    for (const api of ['openai-chat', 'openai-responses', 'anthropic-messages'] as const)
      expect(dialectStreamEvents(api, 100, 40, 25).firstContentMs).toBeGreaterThan(100);
  });

  it("anthropic: a message_delta's null cache counts keep message_start's (the prompt is input + cache reads + writes)", async () => {
    const { events } = dialectStreamEvents('anthropic-messages', 100, 10, 10);
    const delta = events.findIndex((e) => e.data.includes('"message_delta"'));
    const data = JSON.parse(events[delta]!.data);
    // The SDK's MessageDeltaUsage: input and cache counts may be null, output is cumulative.
    data.usage = {
      input_tokens: USAGE.prompt - USAGE.cached - 10,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
      output_tokens: USAGE.output,
    };
    events[delta] = { ...events[delta]!, data: JSON.stringify(data) };
    const fake = await run(await scriptFor('anthropic-messages', 'sse'), {
      stream: () => ({ status: 200, events }),
    });
    expect(fake.count('floodgate_chat_input_tokens')).toBe(USAGE.prompt);
    expect(fake.count('floodgate_chat_cached_tokens')).toBe(USAGE.cached);
    expect(fake.count('floodgate_chat_output_tokens')).toBe(USAGE.output);
  });

  it.each(API_DIALECTS)(
    '%s, stock mode: a whole stream and a whole response, read for usage',
    async (api) => {
      for (const stream of [true, false]) {
        const body = stream ? dialectStreamBody(api) : dialectResponse(api);
        const fake = await run(await scriptFor(api, 'stock', { stream }), {
          respond: () => ({ status: 200, body, timings: { waiting: 80 } }),
        });
        expect(fake.count('floodgate_chat_ok')).toBe(1);
        expect(fake.count('floodgate_chat_input_tokens')).toBe(USAGE.prompt);
        expect(fake.count('floodgate_chat_output_tokens')).toBe(USAGE.output);
        expect(fake.count('floodgate_chat_cached_tokens')).toBe(USAGE.cached);
      }
    },
  );

  it.each(API_DIALECTS)('%s: a stream cut before its end is a stream-cut, not ok', async (api) => {
    const whole = dialectStreamBody(api);
    const cut = whole.slice(0, whole.indexOf('data:', whole.length / 2));
    const fake = await run(await scriptFor(api, 'stock'), { respond: () => ({ status: 200, body: cut }) });
    expect(fake.count('floodgate_chat_ok')).toBe(0);
    expect(fake.count('floodgate_chat_error_other')).toBe(1);
  });
});

/** [dialect, status, body, the outcome counter it must land in]. */
const ERRORS: [ApiDialect, number, string, string][] = [
  ['openai-chat', 429, ERROR_BODIES.openaiRateLimit, 'rate_limited'],
  ['openai-chat', 429, ERROR_BODIES.openaiQuota, 'quota_exceeded'],
  ['openai-chat', 503, ERROR_BODIES.openaiOverloaded, 'server_error'],
  ['openai-chat', 400, '', 'error_other'],
  ['openai-responses', 429, ERROR_BODIES.openaiQuota, 'quota_exceeded'],
  ['openai-responses', 429, '', 'rate_limited'],
  ['anthropic-messages', 429, ERROR_BODIES.anthropicRateLimit, 'rate_limited'],
  ['anthropic-messages', 529, ERROR_BODIES.anthropicOverloaded, 'overloaded'],
  ['anthropic-messages', 529, '', 'overloaded'],
  ['anthropic-messages', 500, ERROR_BODIES.anthropicApiError, 'server_error'],
  ['gemini', 429, ERROR_BODIES.geminiExhausted, 'rate_limited'],
  ['gemini', 503, ERROR_BODIES.geminiUnavailable, 'overloaded'],
  ['gemini', 500, ERROR_BODIES.geminiInternal, 'server_error'],
  ['gemini', 504, '', 'server_error'],
];

describe('errors classified by the dialect table', () => {
  it.each(ERRORS)('%s %i %#: %s', async (api, status, body, counter) => {
    for (const mode of ['stock', 'sse'] as const) {
      // xk6-sse hands over no error body: only the status counts there (quota reads as a rate limit).
      const expected = mode === 'sse' && counter === 'quota_exceeded' ? 'rate_limited' : counter;
      const answer: FakeResponse = { status, body };
      const fake = await run(await scriptFor(api, mode), {
        respond: () => answer,
        stream: () => ({ status, events: [] }),
      });
      expect(fake.count(`floodgate_chat_${expected}`), mode).toBe(1);
      expect(fake.count('floodgate_chat_ok')).toBe(0);
      expect(fake.samples('floodgate_chat_error_rate')).toEqual([1]);
      expect(fake.samples('floodgate_chat_rate_limited_rate')).toEqual([expected === 'rate_limited' ? 1 : 0]);
    }
  });

  it("an Anthropic stream's overloaded_error event after the 200 is an overload, in both modes", async () => {
    const { body, events } = anthropicOverloadedStream();
    for (const mode of ['stock', 'sse'] as const) {
      const fake = await run(await scriptFor('anthropic-messages', mode), {
        respond: () => ({ status: 200, body }),
        stream: () => ({ status: 200, events }),
      });
      expect(fake.count('floodgate_chat_overloaded'), mode).toBe(1);
      expect(fake.samples('floodgate_chat_ttft')).toEqual([]);
    }
  });

  it.each([
    [
      'openai-responses',
      { type: 'error', code: 'rate_limit_exceeded', message: 'x', param: null, sequence_number: 5 },
      'rate_limited',
    ],
    [
      'openai-responses',
      {
        type: 'response.failed',
        response: { status: 'failed', error: { code: 'server_error', message: 'x' } },
      },
      'server_error',
    ],
    ['gemini', JSON.parse(ERROR_BODIES.geminiUnavailable), 'overloaded'],
    ['anthropic-messages', { type: 'error', error: { type: 'api_error', message: 'x' } }, 'server_error'],
  ] as [ApiDialect, unknown, string][])(
    '%s: an error event inside a 200 stream -> %#',
    async (api, error, counter) => {
      const { events } = dialectStreamEvents(api, 10, 10, 10);
      const cut = [...events.slice(0, 2), { delayMs: 10, data: JSON.stringify(error) }];
      const body = cut.map((e) => `data: ${e.data}\n\n`).join('');
      for (const mode of ['stock', 'sse'] as const) {
        const fake = await run(await scriptFor(api, mode), {
          respond: () => ({ status: 200, body }),
          stream: () => ({ status: 200, events: cut }),
        });
        expect(fake.count(`floodgate_chat_${counter}`), mode).toBe(1);
      }
    },
  );

  it('a Responses stream that ends incomplete at max_output_tokens is a whole answer', async () => {
    const body = dialectStreamBody('openai-responses').replace(/response\.completed/g, 'response.incomplete');
    const fake = await run(await scriptFor('openai-responses', 'stock'), {
      respond: () => ({ status: 200, body }),
    });
    expect(fake.count('floodgate_chat_ok')).toBe(1);
    expect(fake.count('floodgate_chat_output_tokens')).toBe(USAGE.output);
  });

  it('an overload is retried as a server-error, quota as a 429, as the SDKs do', async () => {
    const answers = [
      { status: 529, body: ERROR_BODIES.anthropicOverloaded },
      { status: 200, body: dialectStreamBody('anthropic-messages') },
    ];
    let k = 0;
    const fake = await run(
      await scriptFor('anthropic-messages', 'stock', { retries: { max: 1, on: ['server-error'] } }),
      { respond: () => answers[k++]! },
    );
    expect(fake.count('floodgate_chat_ok')).toBe(1);
    expect(fake.count('floodgate_chat_attempts')).toBe(2);

    const quota = await run(
      await scriptFor('openai-chat', 'stock', { retries: { max: 2, on: ['rate-limited'] } }),
      { respond: () => ({ status: 429, body: ERROR_BODIES.openaiQuota }) },
    );
    expect(quota.count('floodgate_chat_attempts')).toBe(3);
    expect(quota.count('floodgate_chat_quota_exceeded')).toBe(1);
  });
});

describe('the summary by dialect outcome', () => {
  it('counts overloads and quota apart from 429s and 5xx, with cached tokens, and shows their columns', async () => {
    const text = await scriptFor('anthropic-messages', 'stock');
    const fake = fakeAfterWarmup();
    const answers = [
      { status: 529, body: ERROR_BODIES.anthropicOverloaded },
      { status: 429, body: ERROR_BODIES.anthropicRateLimit },
      { status: 200, body: dialectStreamBody('anthropic-messages') },
    ];
    let k = 0;
    fake.respond = () => answers[k++ % answers.length]!;
    const script = await loadScript(text, fake, { FLOODGATE_SUMMARY: 'stdout' });
    iterate(script, fake, 'chat', 0, 6);
    const out = script.handleSummary(fake.summaryData(script.options.thresholds));
    const summary = JSON.parse(out['stdout']!) as K6Summary;
    expect(summary.classes['chat']!.outcomes).toMatchObject({
      ok: 2,
      rateLimited: 2,
      overloaded: 2,
      quotaExceeded: 0,
      serverError: 0,
    });
    expect(summary.classes['chat']!.cachedInputTokens).toBe(2 * USAGE.cached);
    expect(out['stderr']).toMatch(/429\s+overload\s+5xx/);
    expect(out['stderr']).not.toMatch(/quota/);
  });
});

describe('which dialect a class speaks', () => {
  it("dialect-failover: the class speaks its primary's anthropic-messages; --set providers[0].api switches it", async () => {
    const file = join(ROOT, 'scenarios/dialect-failover.yaml');
    const loaded = await loadScenarioFile(file);
    expect(compileK6(loaded).config.classes[0]!.api).toBe('anthropic-messages');
    const set = await loadScenarioFile(file, { overrides: [parseOverride('providers[0].api=openai-chat')] });
    expect(compileK6(set).config.classes[0]!.api).toBe('openai-chat');
  });

  it('a class with providers speaks its first provider’s dialect; with models, that of the provider serving the first', async () => {
    const loaded = await loadScenarioObject({
      name: 'mixed',
      duration: '1m',
      providers: [
        { name: 'a', kind: 'api', api: 'anthropic-messages', models: ['claude'] },
        { name: 'g', kind: 'api', api: 'gemini', models: ['flash'] },
        { name: 'pool', kind: 'queue', models: ['local'], servers: 1, service: '1s' },
      ],
      workload: {
        arrivals: { rate: '1/s' },
        classes: [
          { name: 'first', share: 1 },
          { name: 'byProvider', share: 1, providers: ['g'] },
          { name: 'byModel', share: 1, models: ['flash'] },
          { name: 'pool', share: 1, models: ['local'] },
        ],
      },
    });
    expect(compileK6(loaded).config.classes.map((c) => c.api)).toEqual([
      'anthropic-messages',
      'gemini',
      'gemini',
      'openai-chat',
    ]);
  });

  it('dialect-failover runs as compiled, in both modes, against Anthropic answers', async () => {
    const loaded = await loadScenarioFile(join(ROOT, 'scenarios/dialect-failover.yaml'));
    const { events } = dialectStreamEvents('anthropic-messages', 100, 10, 10);
    for (const mode of ['stock', 'sse'] as const) {
      const text = await bundleK6Script(compileK6(loaded, { mode }).config);
      const fake = await run(
        text,
        {
          respond: () => ({ status: 200, body: dialectStreamBody('anthropic-messages') }),
          stream: () => ({ status: 200, events }),
        },
        3,
      );
      expect(fake.posts.every((p) => p.url === 'http://localhost:8000/v1/messages')).toBe(true);
      expect(fake.count('floodgate_chat_ok'), mode).toBe(3);
    }
  });
});

describe('coverage of dialects', () => {
  it('describes each dialect from the dialect table: path, key header, TTFT event, usage, outcome counters', () => {
    expect(Object.keys(DIALECT_COVERAGE)).toEqual([...API_DIALECTS]);
    const anthropic = DIALECT_COVERAGE['anthropic-messages'];
    expect(anthropic.path).toBe('POST /v1/messages');
    expect(anthropic.headers).toBe('x-api-key: <FLOODGATE_API_KEY>, anthropic-version');
    expect(anthropic.ttft).toMatch(/content_block_delta/);
    expect(anthropic.usage).toMatch(/cache_read_input_tokens/);
    expect(anthropic.outcomes).toContain('529 overloaded_error -> overloaded');
    expect(DIALECT_COVERAGE['openai-chat'].outcomes).toContain(
      '429 insufficient_quota (insufficient_quota) -> quota_exceeded',
    );
    expect(DIALECT_COVERAGE.gemini.outcomes).toContain('503 UNAVAILABLE -> overloaded');
    expect(DIALECT_COVERAGE.gemini.path).toMatch(/streamGenerateContent\?alt=sse/);
  });

  it('notes a class that speaks another dialect than chat completions, and how to switch it', async () => {
    const loaded = await loadScenarioFile(join(ROOT, 'scenarios/dialect-failover.yaml'));
    expect(compileK6(loaded).notes).toContain(
      "workload.classes[0] 'chat' speaks anthropic-messages (provider 'anthropic'): POST /v1/messages; a target that takes only OpenAI chat completions needs --set providers[0].api=openai-chat",
    );
    const quickstart = await loadScenarioFile(join(ROOT, 'scenarios/quickstart.yaml'));
    expect(compileK6(quickstart).notes.join('\n')).not.toMatch(/ speaks /);
  });

  it('a session call to Anthropic marks its conversation cacheable instead of prompt_cache_key', async () => {
    const loaded = await loadScenarioObject({
      name: 'agent',
      duration: '1m',
      seed: 3,
      providers: [{ name: 'a', kind: 'api', api: 'anthropic-messages', models: ['claude'] }],
      workload: {
        arrivals: { rate: '1/s' },
        classes: [
          {
            name: 'chat',
            promptTokens: 50,
            outputTokens: 5,
            session: { calls: 2, toolTokens: 10, thinkTime: 0, maxContext: 10_000 },
          },
        ],
      },
    });
    const fake = await run(await bundleK6Script(compileK6(loaded).config), {
      respond: () => ({ status: 200, body: dialectStreamBody('anthropic-messages') }),
    });
    expect(fake.posts).toHaveLength(2);
    const second = JSON.parse(fake.posts[1]!.body);
    expect(second).not.toHaveProperty('prompt_cache_key');
    expect(second.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(second.messages[2].content[0].cache_control).toEqual({ type: 'ephemeral' });
    expect(typeof second.messages[0].content).toBe('string');
  });
});

describe('the load-testing guide', () => {
  it('has the dialect table as src/k6/coverage.ts derives it from the dialect table', async () => {
    const guide = await readFile(join(ROOT, 'docs/guide/load-testing.md'), 'utf8');
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    for (const [api, c] of Object.entries(DIALECT_COVERAGE))
      expect(guide).toContain(
        `| \`${api}\` | \`${esc(c.path)}\` | ${esc(c.headers)} | ${esc(c.ttft)} | ${esc(c.usage)} | ${c.outcomes.map(esc).join('; ')} |`,
      );
  });
});
