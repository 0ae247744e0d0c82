/**
 * The hosted-API prompt cache through the emulator: a request with a cache key
 * (`prompt_cache_key`, else the header `X-Floodgate-Session`) is credited with the prompt the
 * provider stored for that key last time, as a simulated agent session's call is; `usage` reports
 * it as `prompt_tokens_details.cached_tokens`, and the cached share shortens the TTFT by the
 * provider's `ttftFactor`.
 *
 * Timing checks are a lower bound (the model never answers early) and an upper bound far from it
 * (what no cache would take), so a loaded machine cannot fail them.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { clientFor, loadEmulatorScenario } from './fixtures.ts';

const SCALE = 10;

/**
 * `cached`: a 10 s TTFT (1 s real), cached tokens skip all of their share of it (ttftFactor 0);
 * `brief`: a prompt cache that forgets after 10 s (1 s real).
 */
const YAML = `
name: prompt-cache-test
duration: 1h
seed: 5
providers:
  - name: cached
    kind: api
    capacity: 100
    ttft: { dist: deterministic, value: 10s }
    outputRate: { dist: deterministic, value: 1000/s }
    promptCache: { ttl: 1h, ttftFactor: 0 }
  - name: brief
    kind: api
    capacity: 100
    ttft: { dist: deterministic, value: 100ms }
    outputRate: { dist: deterministic, value: 1000/s }
    promptCache: { ttl: 10s }
workload:
  arrivals: { rate: 1/s }
  classes:
    - name: chat
`;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator(await loadEmulatorScenario(YAML), { timeScale: SCALE });
});
afterAll(async () => {
  await emu?.close();
});

// 1200 characters: 300 prompt tokens; with the answer and tool output appended, 400.
const first = [{ role: 'user' as const, content: 'x'.repeat(1200) }];
const second = [
  ...first,
  { role: 'assistant' as const, content: 'y'.repeat(200) },
  { role: 'user' as const, content: 'z'.repeat(200) },
];

/** One non-streaming call of one token (its E2E is the TTFT); its usage and real duration. */
async function call(
  provider: string,
  messages: ChatCompletionMessageParam[],
  key: string | undefined,
  headers: Record<string, string> = {},
) {
  const started = performance.now();
  const r = await clientFor(emu, provider).chat.completions.create(
    { model: 'm', messages, max_tokens: 1, ...(key !== undefined ? { prompt_cache_key: key } : {}) },
    { headers },
  );
  return { usage: r.usage!, ms: performance.now() - started };
}

describe('prompt caching by cache key', () => {
  it("credits the key's previous prompt as cached_tokens and cuts the TTFT by its share", async () => {
    const a = await call('cached', first, 'conversation-1');
    expect(a.usage.prompt_tokens).toBe(300);
    expect(a.usage.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(a.ms).toBeGreaterThanOrEqual(10_000 / SCALE - 1);

    const b = await call('cached', second, 'conversation-1');
    expect(b.usage.prompt_tokens).toBe(400);
    expect(b.usage.prompt_tokens_details?.cached_tokens).toBe(300);
    // TTFT x (1 - 300/400 x (1 - ttftFactor 0)) = 10 s x 0.25 = 2.5 s (250 ms real), not 10 s.
    expect(b.ms).toBeGreaterThanOrEqual(2500 / SCALE - 1);
    expect(b.ms).toBeLessThan(7000 / SCALE);
  });

  it('gives another key nothing, and reports cached_tokens in the stream usage chunk', async () => {
    // Concurrent: conversation-3 is new to the cache whatever conversation-2 stores.
    const [, other] = await Promise.all([
      call('cached', first, 'conversation-2'),
      call('cached', second, 'conversation-3'),
    ]);
    expect(other.usage.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(other.ms).toBeGreaterThanOrEqual(10_000 / SCALE - 1);

    const stream = await clientFor(emu, 'cached').chat.completions.create({
      model: 'm',
      messages: second,
      max_tokens: 3,
      prompt_cache_key: 'conversation-2',
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: unknown;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toEqual({
      prompt_tokens: 400,
      completion_tokens: 3,
      total_tokens: 403,
      prompt_tokens_details: { cached_tokens: 300 },
    });
  });

  it('uses the X-Floodgate-Session header when the body has no key; the body key wins over it', async () => {
    const session = { 'X-Floodgate-Session': 'agent-7' };
    expect((await call('brief', first, undefined, session)).usage.prompt_tokens_details?.cached_tokens).toBe(
      0,
    );
    expect((await call('brief', second, undefined, session)).usage.prompt_tokens_details?.cached_tokens).toBe(
      300,
    );
    // The body names another conversation: the header's entry does not count.
    expect((await call('brief', second, 'agent-8', session)).usage.prompt_tokens_details?.cached_tokens).toBe(
      0,
    );
    // No key and no system message: nothing to share.
    await call('brief', first, undefined);
    expect((await call('brief', first, undefined)).usage.prompt_tokens_details?.cached_tokens).toBe(0);
    // No key: a leading system message is the shared prefix (400 characters, 100 tokens), as before.
    const system = { role: 'system' as const, content: 's'.repeat(400) };
    await call('brief', [system, ...first], undefined);
    const shared = await call('brief', [system, { role: 'user', content: 'other question' }], undefined);
    expect(shared.usage.prompt_tokens_details?.cached_tokens).toBe(100);
  });

  it('forgets a key after the TTL', async () => {
    await call('brief', first, 'ttl');
    expect((await call('brief', first, 'ttl')).usage.prompt_tokens_details?.cached_tokens).toBe(300);
    // 15 simulated seconds since the last use, over the 10 s TTL.
    await new Promise((r) => setTimeout(r, 15_000 / SCALE));
    expect((await call('brief', second, 'ttl')).usage.prompt_tokens_details?.cached_tokens).toBe(0);
  });

  it('answers 400 in OpenAI shape for a prompt_cache_key that is not a string', async () => {
    const r = await fetch(`${emu.url}/p/cached/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: first, max_tokens: 1, prompt_cache_key: 42 }),
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      error: {
        message: "Invalid type for 'prompt_cache_key': expected a string.",
        type: 'invalid_request_error',
        param: 'prompt_cache_key',
        code: null,
      },
    });
  });
});
