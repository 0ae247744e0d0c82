/**
 * Hedging sees only what a real gateway sees: an attempt's outcome is unknown until its provider
 * reports it (FG-5). A provider decides at service start that an attempt will fail (a brownout's
 * error share); a gateway that read that plan would never hedge exactly the attempts that are
 * going to fail.
 */
import { describe, expect, it } from 'vitest';
import { type AttemptOutcomeView, definePolicy, type RoutingPolicy } from '../../src/gateway/policy.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import type { ResolvedPolicy } from '../../src/simulator/policy-loader.ts';
import { resolvePolicies, runScenario } from '../../src/simulator/simulate.ts';
import { run } from '../providers/harness.ts';

/**
 * 10/s for 10 s, round-robin over a browned-out API (10x slower: a 2 s TTFT) and a healthy one,
 * hedging after 500 ms; `errorRate` of the browned-out API's answers fail, after the same 2 s.
 */
function brownout(stream: boolean, errorRate: number): ScenarioInput {
  const api = (name: string) =>
    ({
      name,
      kind: 'api',
      capacity: 1000,
      ttft: { dist: 'deterministic', value: '200ms' },
      outputRate: '100/s',
    }) as const;
  return {
    name: 'hedge-brownout',
    duration: '10s',
    providers: [api('sick'), api('well')],
    faults: [{ provider: 'sick', kind: 'brownout', at: 0, for: '1h', latency: 10, errorRate }],
    workload: {
      arrivals: { process: 'uniform', rate: '10/s' },
      classes: [{ name: 'c', outputTokens: 10, stream }],
    },
    gateway: { routing: 'round-robin', hedging: { after: '500ms' } },
    metrics: { interval: '1s' },
  };
}

describe('hedging under a brownout', () => {
  for (const stream of [true, false]) {
    it(`hedges the slow attempts whether or not they are going to fail (stream: ${stream})`, async () => {
      const failing = await run(brownout(stream, 1));
      const slow = await run(brownout(stream, 0));
      // At 500 ms a browned-out attempt looks the same whether it will fail at 2 s or answer:
      // the gateway sends the same backups in both runs.
      expect(slow.requests.hedges).toBeGreaterThanOrEqual(50);
      expect(failing.requests.hedges).toBe(slow.requests.hedges);
      expect(failing.providers['well']!.attempts).toBe(slow.providers['well']!.attempts);
      // The backups on the healthy API answer, so far more than the half routed there first complete.
      expect(failing.requests.completed).toBeGreaterThan(70);
    });
  }
});

describe('what policies hear of an attempt the gateway stopped waiting for', () => {
  it('a hedge race loser cancelled mid-stream reports the tokens that had arrived, not the planned answer', async () => {
    // Every request goes first to 'slow' (first token at 200 ms, then 5 tokens/s for 50 tokens),
    // the hedge after 100 ms (no token yet) to 'fast' (first token at 200 ms, then 1000/s): 'fast'
    // ends at about 350 ms and 'slow' is cancelled with 1 of its 50 tokens delivered.
    const api = (name: string, rate: string) =>
      ({
        name,
        kind: 'api',
        capacity: 1000,
        ttft: { dist: 'deterministic', value: '200ms' },
        outputRate: rate,
      }) as const;
    const loaded = await loadScenarioObject({
      name: 'hedge-loser',
      duration: '5s',
      providers: [api('slow', '5/s'), api('fast', '1000/s')],
      workload: { arrivals: { process: 'uniform', rate: '2/s' }, classes: [{ name: 'c', outputTokens: 50 }] },
      gateway: { routing: 'round-robin', hedging: { after: '100ms' } },
      metrics: { interval: '1s' },
    });
    const policies = await resolvePolicies(loaded);
    const cancelled: AttemptOutcomeView[] = [];
    const routing: ResolvedPolicy = {
      definition: definePolicy({
        name: 'slow-first',
        kind: 'routing',
        create: (): RoutingPolicy => ({
          route: (_req, targets, context) => targets[context.previous ? 1 : 0]!,
          onOutcome: (o) => {
            if (o.status === 'cancelled') cancelled.push(o);
          },
        }),
      }) as never,
      params: {},
    };
    runScenario(loaded, { ...policies, routing });
    expect(cancelled.length).toBeGreaterThan(5);
    for (const o of cancelled) {
      expect(o.target.name).toBe('slow');
      expect(o.outputTokens).toBe(1);
      expect(o.ttftMs).toBeCloseTo(200, 0);
      expect(o.retryAfterMs).toBe(0);
    }
  });

  it('an attempt timed out while in service reports no tokens, not what the server planned to send', async () => {
    // A queue server takes 2 s and answers whole; the gateway gives up after 1 s.
    const loaded = await loadScenarioObject({
      name: 'timeout-outcome',
      duration: '5s',
      providers: [{ name: 'q', kind: 'queue', servers: 100, service: '2s' }],
      workload: { arrivals: { process: 'uniform', rate: '2/s' }, classes: [{ name: 'c', outputTokens: 50 }] },
      gateway: { routing: 'round-robin', attemptTimeout: '1s', retries: { max: 0 } },
      metrics: { interval: '1s' },
    });
    const policies = await resolvePolicies(loaded);
    const timeouts: AttemptOutcomeView[] = [];
    const routing: ResolvedPolicy = {
      definition: definePolicy({
        name: 'listen',
        kind: 'routing',
        create: (): RoutingPolicy => ({
          route: (_req, targets) => targets[0]!,
          onOutcome: (o) => {
            if (o.status === 'timeout') timeouts.push(o);
          },
        }),
      }) as never,
      params: {},
    };
    runScenario(loaded, { ...policies, routing });
    expect(timeouts.length).toBeGreaterThan(5);
    for (const o of timeouts) {
      expect(o.outputTokens).toBe(0);
      expect(o.ttftMs).toBeNaN();
      expect(o.latencyMs).toBe(1000);
    }
  });
});
