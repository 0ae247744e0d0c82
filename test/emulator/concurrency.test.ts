/**
 * A thousand concurrent streams through the official client against one emulator on 127.0.0.1:
 * every one completes with the right number of chunks, words and usage, and the provider counts
 * each exactly once (the shared ticker writes them all; no timer per token or per stream).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { clientFor, loadEmulatorScenario, words } from './fixtures.ts';

const STREAMS = 1000;
const TOKENS = 16;

const YAML = `
name: thousand-streams
duration: 1h
providers:
  - name: wide
    kind: api
    capacity: 2000
    ttft: { dist: lognormal, median: 300ms, p99: 1s }
    outputRate: { dist: lognormal, median: 200/s, p99: 400/s }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: c }]
`;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator(await loadEmulatorScenario(YAML), { timeScale: 5 });
});
afterAll(async () => {
  await emu?.close();
});

it(`completes ${STREAMS} concurrent streams with ${TOKENS} tokens each`, async () => {
  const client = clientFor(emu, 'wide');
  const one = async (i: number) => {
    const stream = await client.chat.completions.create({
      model: 'wide',
      messages: [{ role: 'user', content: `request ${i}: ${'x'.repeat(i % 50)}` }],
      max_tokens: TOKENS,
      stream: true,
      stream_options: { include_usage: true },
    });
    let chunks = 0;
    let content = '';
    let completion = -1;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta) {
        chunks++;
        content += delta;
      }
      if (chunk.usage) completion = chunk.usage.completion_tokens;
    }
    return { chunks, words: words(content), completion };
  };
  const results = await Promise.all(Array.from({ length: STREAMS }, (_, i) => one(i)));
  const wrong = results.filter((r) => r.chunks !== TOKENS || r.words !== TOKENS || r.completion !== TOKENS);
  expect(wrong).toEqual([]);
  const stats = emu.stats();
  expect(stats.providers['wide']!.requests).toEqual({ ok: STREAMS });
  expect(stats.providers['wide']!.completionTokens).toBe(STREAMS * TOKENS);
  expect(stats.openRequests).toBe(0);
});
