/**
 * Per-request luck in the simulator (SimulateOptions.luck `request`, engine/luck.ts): a request
 * meets the same provider draws whatever else that provider serves and in whatever order, so two
 * runs of the same traffic under different routing give a request served by the same provider the
 * same TTFT; under the default arrival luck the draws follow the order attempts reach the provider.
 */
import { describe, expect, it } from 'vitest';
import type { RequestSample } from '../../src/metrics/request-samples.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';

/** Two hosted APIs with spread TTFTs and room to spare (no queue, no load degradation). */
function scenario(routing: ScenarioInput['gateway']): ScenarioInput {
  const api = (name: string) =>
    ({
      name,
      kind: 'api',
      capacity: 1000,
      ttft: { dist: 'lognormal', median: '300ms', p99: '2s' },
      outputRate: { dist: 'lognormal', median: '50/s', p99: '120/s' },
    }) as const;
  return {
    name: 'request-luck',
    duration: '30s',
    providers: [api('a'), api('b')],
    workload: {
      classes: [
        { name: 'chat', arrivals: { rate: '10/s' }, outputTokens: 20 },
        { name: 'batch', arrivals: { rate: '4/s' }, outputTokens: 40 },
      ],
    },
    gateway: routing,
    metrics: { interval: '1s' },
  };
}

async function run(
  routing: ScenarioInput['gateway'],
  luck?: 'arrival' | 'request',
): Promise<{ result: RunResult; samples: RequestSample[] }> {
  let samples: RequestSample[] = [];
  const result = await simulate(await loadScenarioObject(scenario(routing)), {
    seed: 3,
    ...(luck ? { luck } : {}),
    samples: { limit: 100_000, collect: (s) => (samples = s) },
  });
  return { result, samples };
}

/** Per request (its class and arrival), the provider that served it and its TTFT and E2E. */
function byRequest(samples: readonly RequestSample[]) {
  return new Map(samples.map((s) => [`${s.class}@${s.arrivalMs}`, s]));
}

/** The requests both runs served on the same provider, and how many of them met the same draws. */
function agreement(x: readonly RequestSample[], y: readonly RequestSample[]) {
  const other = byRequest(y);
  let shared = 0;
  let same = 0;
  for (const s of x) {
    const t = other.get(`${s.class}@${s.arrivalMs}`);
    if (!t || s.outcome !== 'ok' || t.outcome !== 'ok' || s.provider !== t.provider) continue;
    shared++;
    if (s.ttftMs === t.ttftMs && s.endMs - s.arrivalMs === t.endMs - t.arrivalMs) same++;
  }
  return { shared, same };
}

describe('per-request luck', () => {
  const roundRobin = { routing: 'round-robin' } as const;
  const random = { routing: { policy: 'random', params: { weights: { a: 1, b: 1 } } } } as const;

  it('a request served by the same provider meets the same TTFT and speed under any routing', async () => {
    const x = await run(roundRobin, 'request');
    const y = await run(random, 'request');
    const { shared, same } = agreement(x.samples, y.samples);
    expect(shared).toBeGreaterThan(100);
    expect(same).toBe(shared);
    // Every request made one attempt: the comparison is of first attempts.
    expect(x.result.requests.attempts).toBe(x.result.requests.offered);
  });

  it('under arrival luck (the default) the draws follow the order attempts reach the provider', async () => {
    const x = await run(roundRobin);
    const y = await run(random);
    const { shared, same } = agreement(x.samples, y.samples);
    expect(shared).toBeGreaterThan(100);
    expect(same).toBeLessThan(shared / 2);
  });

  it('the result records request luck, and nothing for the default', async () => {
    expect((await run(roundRobin, 'request')).result.luck).toBe('request');
    expect('luck' in (await run(roundRobin, 'arrival')).result).toBe(false);
    expect('luck' in (await run(roundRobin)).result).toBe(false);
  });

  it('request luck is its own draw: the same traffic meets other luck than under arrival', async () => {
    const x = await run(roundRobin, 'request');
    const y = await run(roundRobin);
    expect(x.result.requests.offered).toBe(y.result.requests.offered);
    expect(agreement(x.samples, y.samples).same).toBeLessThan(agreement(x.samples, y.samples).shared / 2);
  });
});
