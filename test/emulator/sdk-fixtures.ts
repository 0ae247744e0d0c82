/**
 * A scenario whose providers all speak one dialect, for the official SDKs' tests
 * (test/emulator/sdk-*.test.ts), and helpers. All traffic goes to 127.0.0.1.
 *
 * Each provider is one behaviour: `fast` (a prompt cache, 20 ms to the first token), `limited`
 * (3 requests per minute: with the models' clock 60x faster it refills in one real second),
 * `full` (a capacity loss of everything: overloaded), `down` (an outage: server errors), `small`
 * (a 100-token context window: bad requests), `broke` (its rate limit cut to zero: a quota that
 * never passes by waiting).
 */
import type { Emulator } from '../../src/emulator/server.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import type { ApiDialect } from '../../src/providers/dialects.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/** Simulated ms per real ms in these tests. */
export const TIME_SCALE = 60;

export function sdkYaml(api: ApiDialect): string {
  const fastApi = `    kind: api\n    api: ${api}\n    ttft: { dist: deterministic, value: 20ms }\n    outputRate: { dist: deterministic, value: 2000/s }`;
  return `
name: sdk-${api}
duration: 1h
seed: 5
providers:
  - name: fast
${fastApi}
    models: [fast-model]
    capacity: 1000
    promptCache: { ttl: 5m, cachedInputPerMTok: 0.1 }
  - name: limited
${fastApi}
    models: [limited-model]
    rateLimit: { rpm: 3, inputTpm: 100000, outputTpm: 100000 }
  - name: full
${fastApi}
    models: [full-model]
    queueCapacity: 0
  - name: down
${fastApi}
    models: [down-model]
  - name: small
${fastApi}
    models: [small-model]
    contextWindow: 100
  - name: broke
${fastApi}
    models: [broke-model]
    rateLimit: { rpm: 100 }
faults:
  - { provider: full, kind: capacity-loss, at: 0s, for: 1000h, fraction: 1 }
  - { provider: down, kind: outage, at: 0s, for: 1000h }
  - { provider: broke, kind: rate-limit-storm, at: 0s, for: 1000h, limitFactor: 0 }
workload:
  arrivals: { rate: 1/s }
  classes:
    - name: chat
      outputTokens: { dist: deterministic, value: 7 }
`;
}

export async function startSdkEmulator(api: ApiDialect): Promise<Emulator> {
  return startEmulator(await loadScenarioText(sdkYaml(api), `sdk-${api}.yaml`), { timeScale: TIME_SCALE });
}

/** Requests the emulator answered for `provider`, by outcome (ok, rate_limited, overloaded, ...). */
export function seen(emu: Emulator, provider: string): Record<string, number> {
  return emu.stats().providers[provider]!.requests;
}

/** Words of a text (the emulator writes one word per token). */
export function wordCount(text: string | null | undefined): number {
  const t = (text ?? '').trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A system prompt of about 400 tokens, shared by two calls so the second reads it from the cache. */
export const SYSTEM = 'You are a careful assistant. '.repeat(55);

/** Calls `call` until it fails (at most 10 times): the rate limit is then exhausted. */
export async function exhaust(call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 10; i++) {
    try {
      await call();
    } catch {
      return;
    }
  }
  throw new Error('the rate limit never refused');
}
