/**
 * A real gateway's adapters against the emulator's dialects: Portkey's open-source gateway
 * (@portkey-ai/gateway, on 127.0.0.1) takes OpenAI-format chat requests and calls its `anthropic`
 * and `google` providers, each with its custom_host at the emulator's provider path. The answers
 * come back translated (text and usage, whole and streamed), and the errors keep their meaning:
 * Anthropic's 529 overloaded, Gemini's 503 UNAVAILABLE and 429 RESOURCE_EXHAUSTED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/server.ts';
import { type PortkeyGateway, startPortkey } from '../gateway-loop/portkey-process.ts';
import { exhaust, startSdkEmulator, wordCount } from './sdk-fixtures.ts';

let emu: Emulator;
let portkey: PortkeyGateway;
beforeAll(async () => {
  emu = await startSdkEmulator('anthropic-messages');
  portkey = await startPortkey();
}, 60_000);
afterAll(async () => {
  await portkey?.stop();
  await emu?.close();
});

/** One OpenAI-format chat call through Portkey to `provider`'s adapter, aimed at the emulator. */
async function call(provider: 'anthropic' | 'google', target: string, stream: boolean) {
  // Portkey appends /messages to an Anthropic host and /v1beta/models/... to a Google one.
  const host = `${emu.url}/p/${target}${provider === 'anthropic' ? '/v1' : ''}`;
  const res = await fetch(`${portkey.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-portkey-config': JSON.stringify({ provider, api_key: 'unused', custom_host: host }),
    },
    body: JSON.stringify({
      model: `${target}-model`,
      max_tokens: 4,
      stream,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say something.' },
      ],
    }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The content of an OpenAI-format stream, joined. */
function streamedContent(text: string): string {
  let out = '';
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const chunk = JSON.parse(line.slice('data: '.length)) as { choices?: { delta?: { content?: string } }[] };
    out += chunk.choices?.[0]?.delta?.content ?? '';
  }
  return out;
}

describe('Portkey translating OpenAI-format requests into the emulator dialects', () => {
  for (const provider of ['anthropic', 'google'] as const) {
    it(`${provider}: a whole answer and a stream come back as OpenAI chat completions`, async () => {
      const whole = await call(provider, 'fast', false);
      expect(whole.status, whole.text).toBe(200);
      const body = JSON.parse(whole.text) as {
        choices: { message: { content: string }; finish_reason: string }[];
        usage: { completion_tokens: number };
      };
      expect(wordCount(body.choices[0]!.message.content)).toBe(4);
      expect(body.choices[0]!.finish_reason).toBe('length');
      expect(body.usage.completion_tokens).toBe(4);

      const streamed = await call(provider, 'fast', true);
      expect(streamed.status, streamed.text).toBe(200);
      expect(wordCount(streamedContent(streamed.text))).toBe(4);
    });
  }

  it('anthropic: the 529 overload comes back as a 529 overloaded_error', async () => {
    const r = await call('anthropic', 'full', false);
    expect(r.status).toBe(529);
    expect((JSON.parse(r.text) as { error: { type: string } }).error.type).toBe('overloaded_error');
  });

  it('anthropic: a 429 keeps its retry-after and the anthropic-ratelimit headers', async () => {
    await exhaust(async () => {
      const r = await call('anthropic', 'limited', false);
      if (r.status !== 200) throw new Error(String(r.status));
    });
    const r = await call('anthropic', 'limited', false);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
  });

  it('google: UNAVAILABLE and RESOURCE_EXHAUSTED come back as 503 and 429', async () => {
    const overloaded = await call('google', 'full', true);
    expect(overloaded.status).toBe(503);
    expect((JSON.parse(overloaded.text) as { error: { type: string } }).error.type).toBe('UNAVAILABLE');
    const quota = await call('google', 'broke', false);
    expect(quota.status).toBe(429);
    expect((JSON.parse(quota.text) as { error: { type: string } }).error.type).toBe('RESOURCE_EXHAUSTED');
  });
});
