/** Scenarios and helpers shared by the emulator tests (all traffic goes to 127.0.0.1). */
import OpenAI from 'openai';
import type { Emulator } from '../../src/emulator/server.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/**
 * Providers for each behaviour under test, on deterministic latencies: `fast` (200 ms TTFT,
 * 100 tokens/s), `limited` (2 requests per minute), `pool` (2 GPU replicas), `cut` (streams die
 * after 3 tokens), `down` (an outage from the start), `slow` (10 min TTFT: stays in flight).
 */
export const EMULATOR_YAML = `
name: emulator-test
duration: 1h
seed: 3
providers:
  - name: fast
    kind: api
    models: [fast-model]
    capacity: 2000
    ttft: { dist: deterministic, value: 200ms }
    outputRate: { dist: deterministic, value: 100/s }
  - name: limited
    kind: api
    models: [limited-model]
    ttft: { dist: deterministic, value: 50ms }
    outputRate: { dist: deterministic, value: 1000/s }
    rateLimit: { rpm: 2 }
  - name: pool
    kind: gpu
    model: llama-3.1-8b
    gpu: h100-80gb
    replicas: 2
  - name: cut
    kind: api
    ttft: { dist: deterministic, value: 50ms }
    outputRate: { dist: deterministic, value: 1000/s }
  - name: down
    kind: api
  - name: slow
    kind: api
    ttft: { dist: deterministic, value: 10m }
faults:
  - { provider: cut, kind: stream-cut, at: 0s, for: 10h, afterTokens: 3 }
  - { provider: down, kind: outage, at: 0s, for: 10h }
workload:
  arrivals: { rate: 1/s }
  classes:
    - name: chat
      outputTokens: { dist: deterministic, value: 7 }
`;

export async function loadEmulatorScenario(yaml = EMULATOR_YAML) {
  return loadScenarioText(yaml, 'emulator-test.yaml');
}

/** An OpenAI client for one provider of the emulator (or model routing, without `provider`). */
export function clientFor(emu: Emulator, provider?: string): OpenAI {
  return new OpenAI({
    baseURL: provider ? `${emu.url}/p/${provider}/v1` : `${emu.url}/v1`,
    apiKey: 'not-used',
    maxRetries: 0,
    timeout: 20_000,
  });
}

/**
 * A two-token chat completion sent with `fetch` to the emulator's OpenAI route, with extra headers
 * (an undefined value leaves its header out).
 */
export function postTinyChat(
  emu: Emulator,
  headers: Record<string, string | undefined> = {},
): Promise<Response> {
  const sent: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) sent[name] = value;
  return fetch(`${emu.url}/v1/chat/completions`, {
    method: 'POST',
    headers: sent,
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
  });
}

/** Words of a response's content (the emulator writes one word per token). */
export function words(content: string | null | undefined): number {
  const t = (content ?? '').trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

/** Polls `check` every 10 ms until it returns true (fails after `timeoutMs`). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
