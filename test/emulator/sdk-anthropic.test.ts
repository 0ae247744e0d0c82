/**
 * The emulator's Anthropic Messages dialect through the official SDK (@anthropic-ai/sdk) on
 * 127.0.0.1: a message and a stream (text, stop reason and usage as the SDK parses them, prompt
 * caching's usage fields), each error kind as the SDK's error class with its status and type,
 * the anthropic-ratelimit-* headers counting down and resetting, and the SDK's retries on 429
 * (after retry-after) and 529 (its backoff) counted at the emulator.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/server.ts';
import { exhaust, SYSTEM, seen, sleep, startSdkEmulator, wordCount } from './sdk-fixtures.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await startSdkEmulator('anthropic-messages');
});
afterAll(async () => {
  await emu?.close();
});

function client(provider?: string, maxRetries = 0): Anthropic {
  return new Anthropic({
    baseURL: provider ? `${emu.url}/p/${provider}` : emu.url,
    apiKey: 'not-used',
    maxRetries,
    timeout: 20_000,
  });
}

const ask = (model: string, max_tokens = 5): Anthropic.MessageCreateParamsNonStreaming => ({
  model,
  max_tokens,
  messages: [{ role: 'user', content: 'Say something.' }],
});

/** The error a call throws (fails the test if it succeeds). */
async function failure(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await call;
  } catch (e) {
    expect(e).toBeInstanceOf(Anthropic.APIError);
    return e as InstanceType<typeof Anthropic.APIError>;
  }
  throw new Error('the call succeeded');
}

describe('Anthropic Messages through @anthropic-ai/sdk', () => {
  it('answers a message: one text block of max_tokens words, stop_reason max_tokens, usage', async () => {
    const msg = await client().messages.create(ask('fast-model', 5));
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.model).toBe('fast-model');
    expect(msg.id).toMatch(/^msg_/);
    const { response } = await client().messages.create(ask('fast-model', 1)).withResponse();
    expect(response.headers.get('request-id')).toMatch(/^msg_emu/);
    const block = msg.content[0]!;
    expect(block.type).toBe('text');
    expect(wordCount(block.type === 'text' ? block.text : '')).toBe(5);
    expect(msg.stop_reason).toBe('max_tokens');
    expect(msg.usage.output_tokens).toBe(5);
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.cache_read_input_tokens).toBe(0);
  });

  it('ends the turn below max_tokens when a request class draws a shorter answer', async () => {
    const msg = await client().messages.create(ask('fast-model', 100), {
      headers: { 'x-floodgate-class': 'chat' },
    });
    expect(msg.usage.output_tokens).toBe(7);
    expect(msg.stop_reason).toBe('end_turn');
  });

  it('streams message_start, content_block_start, ping, deltas, content_block_stop, message_delta, message_stop', async () => {
    const events: string[] = [];
    const stream = client().messages.stream(ask('fast-model', 6));
    stream.on('streamEvent', (e) => events.push(e.type));
    const text: string[] = [];
    stream.on('text', (t) => text.push(t));
    const msg = await stream.finalMessage();
    expect(text).toHaveLength(6);
    expect(wordCount(text.join(''))).toBe(6);
    expect(msg.stop_reason).toBe('max_tokens');
    expect(msg.usage.output_tokens).toBe(6);
    expect(events[0]).toBe('message_start');
    expect(events[1]).toBe('content_block_start');
    expect(events.filter((e) => e === 'content_block_delta')).toHaveLength(6);
    expect(events.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('streams the raw ping event between content_block_start and the first delta', async () => {
    const res = await fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'k' },
      body: JSON.stringify({ ...ask('fast-model', 2), stream: true }),
    });
    const names = [...(await res.text()).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('reports a prompt-cache write, then a read of the same system prompt', async () => {
    const body = { ...ask('fast-model', 3), system: SYSTEM };
    const first = await client().messages.create(body);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    const second = await client().messages.stream(body).finalMessage();
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    // input_tokens counts only what was neither read from nor written to the cache.
    expect(second.usage.input_tokens).toBe(first.usage.input_tokens);
  });

  it('refuses a request without anthropic-version, in Anthropic error shape', async () => {
    const res = await fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ask('fast-model')),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
  });

  it('raises each error kind as the SDK class with its status and type', async () => {
    const overloaded = await failure(client().messages.create(ask('full-model')));
    expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
    expect(overloaded.constructor.name).toBe('OverloadedError');
    expect(overloaded.status).toBe(529);
    expect(overloaded.type).toBe('overloaded_error');

    const server = await failure(client().messages.create(ask('down-model')));
    expect(server).toBeInstanceOf(Anthropic.InternalServerError);
    expect(server.status).toBe(500);
    expect(server.type).toBe('api_error');

    const bad = await failure(client().messages.create(ask('small-model', 200)));
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect(bad.type).toBe('invalid_request_error');

    const quota = await failure(client().messages.create(ask('broke-model')));
    expect(quota).toBeInstanceOf(Anthropic.RateLimitError);
    expect(quota.type).toBe('rate_limit_error');
    expect(quota.headers?.get('retry-after')).toBeNull();

    const unknown = await failure(client().messages.create(ask('no-such-model')));
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect(unknown.type).toBe('not_found_error');
  });

  it('counts the anthropic-ratelimit-* headers down to a 429 with retry-after, then resets', async () => {
    const c = client('limited');
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await c.messages.create(ask('limited-model', 2)).withResponse();
      const h = response.headers;
      expect(h.get('anthropic-ratelimit-requests-limit')).toBe('3');
      expect(h.get('anthropic-ratelimit-input-tokens-limit')).toBe('100000');
      expect(h.get('anthropic-ratelimit-output-tokens-limit')).toBe('100000');
      expect(h.get('anthropic-ratelimit-requests-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      remaining.push(h.get('anthropic-ratelimit-requests-remaining')!);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await failure(c.messages.create(ask('limited-model', 2)));
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.status).toBe(429);
    expect(limited.type).toBe('rate_limit_error');
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    // The bucket is full again at its reset time (one real second: 60 simulated at 60x).
    const reset = Date.parse(limited.headers!.get('anthropic-ratelimit-requests-reset')!);
    await sleep(Math.max(0, reset - Date.now()) + 50);
    const { response } = await c.messages.create(ask('limited-model', 2)).withResponse();
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('2');
  });

  it('retries a 429 after retry-after and succeeds; retries a 529 maxRetries times, then throws', async () => {
    await exhaust(() => client('limited').messages.create(ask('limited-model', 2)));
    const before = { ...seen(emu, 'limited') };
    const msg = await client('limited', 2).messages.create(ask('limited-model', 2));
    expect(msg.usage.output_tokens).toBe(2);
    const after = seen(emu, 'limited');
    expect((after['rate_limited'] ?? 0) - (before['rate_limited'] ?? 0)).toBeGreaterThanOrEqual(1);
    expect((after['ok'] ?? 0) - (before['ok'] ?? 0)).toBe(1);

    const overloadedBefore = seen(emu, 'full')['overloaded'] ?? 0;
    const e = await failure(client('full', 2).messages.create(ask('full-model')));
    expect(e.status).toBe(529);
    expect((seen(emu, 'full')['overloaded'] ?? 0) - overloadedBefore).toBe(3);
  });

  it('raises an overload before the first event of a stream as the 529 it is', async () => {
    const e = await failure(client().messages.stream(ask('full-model')).finalMessage());
    expect(e.status).toBe(529);
  });
});
