/**
 * The dialects' wire details no SDK test reaches: an error in the middle of a stream (the
 * emulator shutting down) as each dialect's error event, a stream cut that ends without the
 * closing events, and the rate-limit header formats (OpenAI's durations, Anthropic's RFC 3339
 * times) from the models' time. All traffic goes to 127.0.0.1.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { openAiDuration, rateLimitHeaders, rfc3339 } from '../../src/emulator/dialects/rate-limit-headers.ts';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/** `slow` writes 50 tokens a second (a stream is still open when the test acts); `cut` dies after 3. */
const YAML = `
name: dialect-wire
duration: 1h
seed: 2
providers:
  - name: slow
    kind: api
    models: [slow-model]
    ttft: { dist: deterministic, value: 5ms }
    outputRate: { dist: deterministic, value: 50/s }
  - name: cut
    kind: api
    models: [cut-model]
    ttft: { dist: deterministic, value: 5ms }
    outputRate: { dist: deterministic, value: 1000/s }
faults:
  - { provider: cut, kind: stream-cut, at: 0s, for: 10h, afterTokens: 3 }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: c }]
`;

const start = async () => startEmulator(await loadScenarioText(YAML, 'dialect-wire.yaml'));

/** A streaming request of `model` in each dialect: its path, headers and body. */
function streamRequest(dialect: 'responses' | 'anthropic' | 'gemini', model: string) {
  const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
  switch (dialect) {
    case 'responses':
      return {
        path: '/v1/responses',
        headers,
        body: { model, input: 'hi', stream: true, max_output_tokens: 500 },
      };
    case 'anthropic':
      return {
        path: '/v1/messages',
        headers,
        body: { model, max_tokens: 500, stream: true, messages: [{ role: 'user', content: 'hi' }] },
      };
    case 'gemini':
      return {
        path: `/v1beta/models/${model}:streamGenerateContent?alt=sse`,
        headers,
        body: { contents: [{ parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 500 } },
      };
  }
}

/** Streams a request; once `closeAfter` bytes arrived, closes the emulator; returns all text received. */
async function streamText(emu: Emulator, req: ReturnType<typeof streamRequest>, closeAfter?: number) {
  const res = await fetch(`${emu.url}${req.path}`, {
    method: 'POST',
    headers: req.headers,
    body: JSON.stringify(req.body),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let closing: Promise<void> | undefined;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      break; // the connection dropped (a stream cut)
    }
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
    if (closeAfter !== undefined && !closing && text.length > closeAfter) closing = emu.close();
  }
  await closing;
  return text;
}

describe('an error in the middle of a stream, in each dialect', () => {
  it('Responses: an error event with the code', async () => {
    const emu = await start();
    const text = await streamText(emu, streamRequest('responses', 'slow-model'), 1200);
    expect(text).toContain('event: response.output_text.delta');
    const last = text.trim().split('\n\n').at(-1)!;
    expect(last.split('\n')[0]).toBe('event: error');
    expect(JSON.parse(last.split('\n')[1]!.slice('data: '.length))).toMatchObject({
      type: 'error',
      code: 'shutting_down',
    });
  });

  it('Anthropic: an error event (type api_error for a 503) after the deltas, raised by the SDK', async () => {
    const emu = await start();
    const text = await streamText(emu, streamRequest('anthropic', 'slow-model'), 800);
    const last = text.trim().split('\n\n').at(-1)!;
    expect(last.split('\n')[0]).toBe('event: error');
    expect(JSON.parse(last.split('\n')[1]!.slice('data: '.length))).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'The emulator is shutting down.' },
    });

    const emu2 = await start();
    const client = new Anthropic({ baseURL: emu2.url, apiKey: 'k', maxRetries: 0 });
    const stream = client.messages.stream({
      model: 'slow-model',
      max_tokens: 500,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let closing: Promise<void> | undefined;
    stream.on('text', () => {
      closing ??= emu2.close();
    });
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
    await closing;
  });

  it('Gemini: a data event holding the error (503 UNAVAILABLE)', async () => {
    const emu = await start();
    const text = await streamText(emu, streamRequest('gemini', 'slow-model'), 600);
    const events = text.split('\r\n\r\n').filter((e) => e !== '');
    expect(events.length).toBeGreaterThan(2);
    expect(JSON.parse(events.at(-1)!.slice('data: '.length))).toEqual({
      error: { code: 503, message: 'The emulator is shutting down.', status: 'UNAVAILABLE' },
    });
  });
});

describe('a stream cut, in each dialect', () => {
  it('ends after the tokens delivered, without the closing events', async () => {
    const emu = await start();
    try {
      const responses = await streamText(emu, streamRequest('responses', 'cut-model'));
      expect(responses.match(/event: response\.output_text\.delta/g)).toHaveLength(3);
      expect(responses).not.toContain('response.completed');
      const anthropic = await streamText(emu, streamRequest('anthropic', 'cut-model'));
      expect(anthropic.match(/event: content_block_delta/g)).toHaveLength(3);
      expect(anthropic).not.toContain('message_stop');
      const gemini = await streamText(emu, streamRequest('gemini', 'cut-model'));
      expect(gemini.split('\r\n\r\n').filter((e) => e !== '')).toHaveLength(3);
      expect(gemini).not.toContain('finishReason');
    } finally {
      await emu.close();
    }
  });
});

describe('rate-limit header formats', () => {
  it("writes OpenAI's reset as a duration", () => {
    expect(openAiDuration(20)).toBe('20ms');
    expect(openAiDuration(0.4)).toBe('1ms');
    expect(openAiDuration(1000)).toBe('1s');
    expect(openAiDuration(1500)).toBe('1.5s');
    expect(openAiDuration(360_000)).toBe('6m0s');
    expect(openAiDuration(61_250)).toBe('1m1.25s');
  });

  it("writes Anthropic's reset as an RFC 3339 time, rounded up to the second", () => {
    expect(rfc3339(Date.UTC(2026, 0, 2, 3, 4, 5, 1))).toBe('2026-01-02T03:04:06Z');
    expect(rfc3339(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02T03:04:05Z');
  });

  it('scales resets to real time, names buckets per dialect, and omits a reset that never comes', () => {
    const buckets = {
      requests: { limit: 60, remaining: 59, resetMs: 1000 },
      inputTokens: { limit: 1000.7, remaining: 10, resetMs: Number.POSITIVE_INFINITY },
      outputTokens: { limit: 500, remaining: 500, resetMs: 0 },
    };
    expect(rateLimitHeaders('openai-chat', buckets, 10, 0)).toEqual({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '100ms',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '10',
    });
    expect(rateLimitHeaders('anthropic-messages', buckets, 1, Date.UTC(2026, 0, 1))).toEqual({
      'anthropic-ratelimit-requests-limit': '60',
      'anthropic-ratelimit-requests-remaining': '59',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:01Z',
      'anthropic-ratelimit-input-tokens-limit': '1000',
      'anthropic-ratelimit-input-tokens-remaining': '10',
      'anthropic-ratelimit-output-tokens-limit': '500',
      'anthropic-ratelimit-output-tokens-remaining': '500',
      'anthropic-ratelimit-output-tokens-reset': '2026-01-01T00:00:00Z',
    });
    expect(rateLimitHeaders('gemini', buckets, 1, 0)).toEqual({});
    expect(rateLimitHeaders('openai-chat', undefined, 1, 0)).toEqual({});
  });
});
