/**
 * A Portkey status code list reads by the dialect of the targets it judges: Portkey matches the
 * status the provider answered, and an Anthropic target answers a failure 500 `api_error` and an
 * overload 529 (never 503), a Gemini one 500 INTERNAL and 503 UNAVAILABLE, an OpenAI one 503 for
 * both (src/providers/dialects.ts).
 */
import { describe, expect, it } from 'vitest';
import { errorsOfCodes } from '../../src/import/status-codes.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { portkey, scenarioOf } from './helpers.ts';

const notes = (g: ReturnType<typeof portkey>) => g.notes.map((n) => n.message).join('\n');

describe('status codes by dialect', () => {
  it('maps each code to what the dialect answers with it', () => {
    expect(errorsOfCodes([500, 503, 529], ['openai'])).toEqual({
      errors: ['server-error', 'overloaded'],
      unmatched: [500],
    });
    expect(errorsOfCodes([500, 503, 529], ['anthropic'])).toEqual({
      errors: ['server-error', 'overloaded'],
      unmatched: [503],
    });
    expect(errorsOfCodes([503], ['anthropic'])).toEqual({ errors: [], unmatched: [503] });
    expect(errorsOfCodes([500], ['anthropic'])).toEqual({ errors: ['server-error'], unmatched: [] });
    expect(errorsOfCodes([503], ['gemini'])).toEqual({ errors: ['overloaded'], unmatched: [] });
    // Without dialects: OpenAI's, as before.
    expect(errorsOfCodes([503])).toEqual({ errors: ['server-error'], unmatched: [] });
  });

  it('a fallback on 503 from an anthropic target never moves on (it answers 500 and 529), and says so', () => {
    const g = portkey({
      strategy: { mode: 'fallback', on_status_codes: [503] },
      targets: [{ provider: 'anthropic' }, { provider: 'openai' }],
    });
    expect(g.gatewaySection['retryThenFallback']).toMatchObject({ fallbackOn: [] });
    expect(notes(g)).toMatch(/503 is never answered by the anthropic targets it falls back from/);
  });

  it("an anthropic target's 500 api_error is a server error; a retry on it is read", () => {
    const g = portkey({
      provider: 'anthropic',
      retry: { attempts: 2, on_status_codes: [500] },
    });
    expect(g.gatewaySection['retries']).toMatchObject({ on: ['server-error'], max: 2 });
    expect(notes(g)).not.toMatch(/never answered/);
  });

  it('a fallback on 503 from an openai target still moves on at its failures and overloads', () => {
    const g = portkey({
      strategy: { mode: 'fallback', on_status_codes: [503] },
      targets: [{ provider: 'openai' }, { provider: 'anthropic' }],
    });
    expect(g.gatewaySection['retryThenFallback']).toMatchObject({ fallbackOn: ['server-error'] });
  });

  it("Portkey's default retry codes on an anthropic target: 500 and 429 count, 502-504 are reported", () => {
    const g = portkey({ provider: 'anthropic', retry: { attempts: 1 } });
    expect(g.gatewaySection['retries']).toMatchObject({ on: ['rate-limited', 'server-error'] });
    expect(notes(g)).toMatch(
      /status codes 502, 503, 504 are never answered by the targets that retry on them/,
    );
  });
});

// An anthropic primary that loses all its capacity (no queue): every request meets a 529.
const OVERLOAD = `
duration: 5s
drain: 5s
providers:
  - name: anthropic-1
    kind: api
    api: anthropic-messages
    capacity: 100
    queueCapacity: 0
    ttft: { dist: deterministic, value: 100ms }
    outputRate: { dist: deterministic, value: 1000/s }
  - name: openai-2
    kind: api
    ttft: { dist: deterministic, value: 100ms }
    outputRate: { dist: deterministic, value: 1000/s }
faults:
  - { provider: anthropic-1, kind: capacity-loss, at: 0s, for: 10s, fraction: 1 }
workload:
  arrivals: { process: uniform, rate: 10/s }
  classes: [{ name: chat, outputTokens: { dist: deterministic, value: 10 } }]
`;

describe('the prediction of a fallback from an overloaded anthropic target', () => {
  for (const [codes, completed] of [
    [[503], 0],
    [[529], 1],
  ] as const)
    it(`on_status_codes [${codes.join(', ')}]: ${completed ? 'every request falls back' : 'no request falls back (Portkey sees 529)'}`, async () => {
      const g = portkey({
        strategy: { mode: 'fallback', on_status_codes: codes },
        targets: [{ provider: 'anthropic' }, { provider: 'openai' }],
      });
      const { loaded } = await scenarioOf(g, OVERLOAD);
      const r = await simulate(loaded, { seed: 1 });
      expect(r.requests.offered).toBeGreaterThan(40);
      expect(r.requests.completed / r.requests.offered).toBe(completed);
    });
});
