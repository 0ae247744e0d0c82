/**
 * Hedging sees only what a real gateway sees: an attempt's outcome is unknown until its provider
 * reports it (FG-5). A provider decides at service start that an attempt will fail (a brownout's
 * error share); a gateway that read that plan would never hedge exactly the attempts that are
 * going to fail.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
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
