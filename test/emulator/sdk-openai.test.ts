/**
 * The emulator's OpenAI dialects through the official SDK (openai) on 127.0.0.1: Chat
 * Completions' rate-limit headers and 429 kinds (rate_limit_exceeded after which waiting helps,
 * insufficient_quota after which it does not), and the Responses API: a response and a stream
 * (response.created, response.output_text.delta, response.completed with usage and cached
 * tokens), each error kind as the SDK's error class, x-ratelimit-* headers counting down and
 * resetting, and the SDK's retries on 429 (honouring retry-after-ms) and 503, counted at the
 * emulator.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/server.ts';
import { exhaust, SYSTEM, seen, sleep, startSdkEmulator, wordCount } from './sdk-fixtures.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await startSdkEmulator('openai-chat');
});
afterAll(async () => {
  await emu?.close();
});

function client(provider?: string, maxRetries = 0): OpenAI {
  return new OpenAI({
    baseURL: provider ? `${emu.url}/p/${provider}/v1` : `${emu.url}/v1`,
    apiKey: 'not-used',
    maxRetries,
    timeout: 20_000,
  });
}

/** The error a call throws (fails the test if it succeeds). */
async function failure(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (e) {
    expect(e).toBeInstanceOf(OpenAI.APIError);
    return e as InstanceType<typeof OpenAI.APIError>;
  }
  throw new Error('the call succeeded');
}

/** A duration in OpenAI's reset format (`20ms`, `1.5s`, `1m0s`) in ms. */
function durationMs(text: string): number {
  const m = /^(?:(\d+)m)?(?:([\d.]+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === '') throw new Error(`not a duration: ${text}`);
  return Number(m[1] ?? 0) * 60_000 + Number(m[2] ?? 0) * 1000 + Number(m[3] ?? 0);
}

const chat = (model: string, max_tokens = 3): OpenAI.ChatCompletionCreateParamsNonStreaming => ({
  model,
  max_tokens,
  messages: [{ role: 'user', content: 'Say something.' }],
});

const respond = (
  model: string,
  max_output_tokens?: number,
): OpenAI.Responses.ResponseCreateParamsNonStreaming => ({
  model,
  input: 'Say something.',
  ...(max_output_tokens !== undefined ? { max_output_tokens } : {}),
});

describe('Chat Completions rate limits through openai', () => {
  it('counts x-ratelimit-* down to a 429 rate_limit_exceeded with retry-after, then resets', async () => {
    const c = client('limited');
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await c.chat.completions.create(chat('limited-model')).withResponse();
      const h = response.headers;
      expect(h.get('x-ratelimit-limit-requests')).toBe('3');
      expect(h.get('x-ratelimit-limit-tokens')).toBe('100000');
      expect(durationMs(h.get('x-ratelimit-reset-requests')!)).toBeGreaterThan(0);
      remaining.push(h.get('x-ratelimit-remaining-requests')!);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const e = await failure(c.chat.completions.create(chat('limited-model')));
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(e.headers?.get('retry-after-ms'))).toBeGreaterThan(0);
    await sleep(durationMs(e.headers!.get('x-ratelimit-reset-requests')!) + 50);
    const { response } = await c.chat.completions.create(chat('limited-model')).withResponse();
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
  });

  it('answers a limit cut to zero with 429 insufficient_quota, without retry-after', async () => {
    const e = await failure(client().chat.completions.create(chat('broke-model')));
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.type).toBe('insufficient_quota');
    expect(e.code).toBe('insufficient_quota');
    expect(e.headers?.get('retry-after')).toBeNull();
    // Nor a wait in its words: the refusal is for good.
    expect(e.message).toMatch(/exceeded your current quota/);
    expect(e.message).not.toMatch(/try again in/);
    expect(e.headers?.get('x-ratelimit-limit-requests')).toBe('0');
  });
});

describe('Responses through openai', () => {
  it('answers a response: output_text, status completed, usage', async () => {
    const r = await client().responses.create(respond('fast-model'));
    expect(r.object).toBe('response');
    expect(r.id).toMatch(/^resp_/);
    expect(r.status).toBe('completed');
    expect(r.model).toBe('fast-model');
    expect(wordCount(r.output_text)).toBe(128); // the emulator's default length
    expect(r.usage?.output_tokens).toBe(128);
    expect(r.usage?.input_tokens).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBe(r.usage!.input_tokens + 128);
    expect(r.usage?.input_tokens_details.cached_tokens).toBe(0);
  });

  it('marks a response that stopped at max_output_tokens incomplete', async () => {
    const r = await client().responses.create(respond('fast-model', 4));
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details?.reason).toBe('max_output_tokens');
    expect(wordCount(r.output_text)).toBe(4);
  });

  it('streams response.created, one output_text.delta per token, response.completed with usage and cached tokens', async () => {
    const body = { ...respond('fast-model'), instructions: SYSTEM };
    await client().responses.create(body); // fills the prompt cache
    const types: string[] = [];
    const deltas: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    const seqs: number[] = [];
    for await (const event of await client().responses.create({ ...body, stream: true })) {
      types.push(event.type);
      seqs.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') deltas.push(event.delta);
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(deltas).toHaveLength(128);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(completed?.usage?.output_tokens).toBe(128);
    expect(completed?.usage?.input_tokens_details.cached_tokens).toBeGreaterThan(0);
    const message = completed?.output[0];
    expect(
      message?.type === 'message' && message.content[0]?.type === 'output_text'
        ? message.content[0].text
        : '',
    ).toBe(deltas.join(''));
  });

  it('hands the stream helper the final response (text and usage)', async () => {
    const stream = client().responses.stream({
      model: 'fast-model',
      input: 'Say something.',
      max_output_tokens: 9,
    });
    const final = await stream.finalResponse();
    expect(wordCount(final.output_text)).toBe(9);
    expect(final.usage?.output_tokens).toBe(9);
  });

  it('raises each error kind as the SDK class with its status, type and code', async () => {
    const overloaded = await failure(client().responses.create(respond('full-model')));
    expect(overloaded).toBeInstanceOf(OpenAI.InternalServerError);
    expect(overloaded.status).toBe(503);
    expect(overloaded.code).toBe('server_is_overloaded');

    const server = await failure(client().responses.create(respond('down-model')));
    expect(server).toBeInstanceOf(OpenAI.InternalServerError);
    expect(server.type).toBe('server_error');

    const bad = await failure(client().responses.create(respond('small-model', 200)));
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.code).toBe('context_length_exceeded');

    const quota = await failure(client().responses.create(respond('broke-model')));
    expect(quota).toBeInstanceOf(OpenAI.RateLimitError);
    expect(quota.code).toBe('insufficient_quota');

    const invalid = await failure(client().responses.create({ model: 'fast-model' } as never));
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(invalid.param).toBe('input');
  });

  it('counts x-ratelimit-* down and resets on /v1/responses too', async () => {
    await sleep(1100); // the chat test above left the shared bucket empty: one real second refills it
    const c = client('limited');
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await c.responses.create(respond('limited-model', 2)).withResponse();
      remaining.push(response.headers.get('x-ratelimit-remaining-requests')!);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const e = await failure(c.responses.create(respond('limited-model', 2)));
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.code).toBe('rate_limit_exceeded');
  });

  it('retries a 429 after retry-after-ms and succeeds; retries a 503 maxRetries times, then throws', async () => {
    await exhaust(() => client('limited').responses.create(respond('limited-model', 2)));
    const before = { ...seen(emu, 'limited') };
    const r = await client('limited', 2).responses.create(respond('limited-model', 2));
    expect(r.usage?.output_tokens).toBe(2);
    const after = seen(emu, 'limited');
    expect((after['rate_limited'] ?? 0) - (before['rate_limited'] ?? 0)).toBeGreaterThanOrEqual(1);
    expect((after['ok'] ?? 0) - (before['ok'] ?? 0)).toBe(1);

    const overloadedBefore = seen(emu, 'full')['overloaded'] ?? 0;
    const e = await failure(client('full', 2).responses.create(respond('full-model')));
    expect(e.status).toBe(503);
    expect((seen(emu, 'full')['overloaded'] ?? 0) - overloadedBefore).toBe(3);
  });
});
