/**
 * The emulator's Gemini dialect through the official SDK (@google/genai) on 127.0.0.1:
 * generateContent and streamGenerateContent (text, finish reason and usageMetadata as the SDK
 * parses them, cached tokens of a repeated system instruction), each error kind as the SDK's
 * ApiError with its status and google.rpc status name (RESOURCE_EXHAUSTED with a RetryInfo,
 * UNAVAILABLE, INTERNAL, INVALID_ARGUMENT), and the SDK's retries when `retryOptions` is set,
 * counted at the emulator. Gemini sends no rate-limit headers.
 */
import { ApiError, GoogleGenAI, type HttpRetryOptions } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/server.ts';
import { exhaust, SYSTEM, seen, startSdkEmulator, wordCount } from './sdk-fixtures.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await startSdkEmulator('gemini');
});
afterAll(async () => {
  await emu?.close();
});

function client(provider?: string, retryOptions?: HttpRetryOptions): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: 'not-used',
    httpOptions: {
      baseUrl: provider ? `${emu.url}/p/${provider}` : emu.url,
      timeout: 20_000,
      ...(retryOptions ? { retryOptions } : {}),
    },
  });
}

/** The ApiError a call throws, with its body (fails the test if the call succeeds). */
async function failure(call: Promise<unknown>): Promise<{ status: number; error: Record<string, unknown> }> {
  try {
    await call;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    const apiError = e as ApiError;
    const body = JSON.parse(apiError.message.replace(/^got status: \S+\. /, '')) as {
      error: Record<string, unknown>;
    };
    return { status: apiError.status, error: body.error };
  }
  throw new Error('the call succeeded');
}

const ask = (model: string, maxOutputTokens?: number) => ({
  model,
  contents: 'Say something.',
  ...(maxOutputTokens !== undefined ? { config: { maxOutputTokens } } : {}),
});

describe('Gemini through @google/genai', () => {
  it('answers generateContent: text, finish reason, usageMetadata', async () => {
    const r = await client().models.generateContent(ask('fast-model', 5));
    expect(wordCount(r.text)).toBe(5);
    expect(r.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(r.candidates?.[0]?.content?.role).toBe('model');
    expect(r.usageMetadata?.candidatesTokenCount).toBe(5);
    expect(r.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(r.usageMetadata?.totalTokenCount).toBe(r.usageMetadata!.promptTokenCount! + 5);
    expect(r.modelVersion).toBe('fast-model');
    const stop = await client().models.generateContent(ask('fast-model'));
    expect(stop.candidates?.[0]?.finishReason).toBe('STOP');
  });

  it('streams one chunk per token, then the finish reason and usage; reports cached tokens', async () => {
    const body = { ...ask('fast-model', 6), config: { maxOutputTokens: 6, systemInstruction: SYSTEM } };
    await client().models.generateContent(body); // fills the prompt cache
    const texts: string[] = [];
    let last: Awaited<ReturnType<GoogleGenAI['models']['generateContent']>> | undefined;
    for await (const chunk of await client().models.generateContentStream(body)) {
      if (chunk.text) texts.push(chunk.text);
      last = chunk;
    }
    expect(texts).toHaveLength(6);
    expect(wordCount(texts.join(''))).toBe(6);
    expect(last?.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(last?.usageMetadata?.candidatesTokenCount).toBe(6);
    expect(last?.usageMetadata?.cachedContentTokenCount).toBeGreaterThan(0);
  });

  it('refuses a model name in the path longer than 256 characters (it is echoed in every event)', async () => {
    const e = await failure(client().models.generateContent(ask('m'.repeat(257))));
    expect(e.status).toBe(400);
    expect(e.error['status']).toBe('INVALID_ARGUMENT');
    expect(String(e.error['message']).length).toBeLessThan(200);
  });

  it('streams one JSON array, element by element, without alt=sse', async () => {
    const res = await fetch(`${emu.url}/v1beta/models/fast-model:streamGenerateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        contents: [{ parts: [{ text: 'hi' }] }],
        generationConfig: { maxOutputTokens: 3 },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    // Google's layout, which Portkey's adapter splits on CRLF: `[{..}`, `\n,\r\n{..}`, `\n]`.
    expect(text.split('\r\n')).toHaveLength(4);
    const elements = JSON.parse(text) as {
      candidates: { content: { parts: { text: string }[] }; finishReason?: string }[];
    }[];
    expect(elements.map((e) => e.candidates[0]!.content.parts[0]!.text).join('')).toBe('the quick brown');
    expect(elements.at(-1)!.candidates[0]!.finishReason).toBe('MAX_TOKENS');
  });

  it('raises each error kind as ApiError with its status and google.rpc status', async () => {
    const overloaded = await failure(client().models.generateContent(ask('full-model')));
    expect(overloaded.status).toBe(503);
    expect(overloaded.error['status']).toBe('UNAVAILABLE');
    expect(overloaded.error['code']).toBe(503);

    const server = await failure(client().models.generateContent(ask('down-model')));
    expect(server.status).toBe(500);
    expect(server.error['status']).toBe('INTERNAL');

    const bad = await failure(client().models.generateContent(ask('small-model', 200)));
    expect(bad.status).toBe(400);
    expect(bad.error['status']).toBe('INVALID_ARGUMENT');

    const quota = await failure(client().models.generateContent(ask('broke-model')));
    expect(quota.status).toBe(429);
    expect(quota.error['status']).toBe('RESOURCE_EXHAUSTED');
    expect(quota.error['details']).toBeUndefined(); // waiting does not help: no RetryInfo

    const unknown = await failure(client().models.generateContent(ask('no-such-model')));
    expect(unknown.status).toBe(404);
    expect(unknown.error['status']).toBe('NOT_FOUND');
  });

  it('answers a rate limit with 429 RESOURCE_EXHAUSTED and a RetryInfo, and no rate-limit headers', async () => {
    const c = client('limited');
    await exhaust(() => c.models.generateContent(ask('limited-model', 2)));
    const res = await fetch(`${emu.url}/p/limited/v1beta/models/limited-model:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(429);
    const { error } = (await res.json()) as { error: { status: string; details: { retryDelay: string }[] } };
    expect(error.status).toBe('RESOURCE_EXHAUSTED');
    expect(error.details[0]?.retryDelay).toMatch(/^\d+s$/);
    const names: string[] = [];
    res.headers.forEach((_, name) => {
      names.push(name);
    });
    expect(names.filter((k) => k.includes('ratelimit'))).toEqual([]);
  });

  it('raises an error before the first chunk of a stream as the ApiError it is', async () => {
    const e = await failure(
      (async () => {
        for await (const _ of await client().models.generateContentStream(ask('full-model'))) {
          // no chunk comes
        }
      })(),
    );
    expect(e.status).toBe(503);
  });

  it('retries 503 UNAVAILABLE with retryOptions set (attempts 3: 3 requests seen), none without', async () => {
    const before = seen(emu, 'full')['overloaded'] ?? 0;
    const e = await failure(
      client('full', { attempts: 3, initialDelay: 0.01, maxDelay: 0.05 }).models.generateContent(
        ask('full-model'),
      ),
    );
    expect(e.status).toBe(503);
    expect((seen(emu, 'full')['overloaded'] ?? 0) - before).toBe(3);
    await failure(client('full').models.generateContent(ask('full-model')));
    expect((seen(emu, 'full')['overloaded'] ?? 0) - before).toBe(4);
  });
});
