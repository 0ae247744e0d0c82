/**
 * Agent sessions and quality: a model's `sessionCalls` factor is how many calls it needs for a
 * step of a task a factor-1 model does in one, so a weaker model needs more calls (and, past
 * `sessions.giveUpAfter` times the planned calls, fails the session); the cheapest model per call
 * is then not always the cheapest per session.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { qualityScenario, runQuality } from './harness.ts';

const CALLS = 10;

function agents(
  weak: number | { capability: number; sessionCalls: number },
  threshold: number,
  giveUpAfter?: number,
): ScenarioInput {
  const s = qualityScenario({ routing: { policy: 'threshold-router', params: { threshold } } });
  s.duration = 60_000;
  s.drain = 600_000;
  // The weak model at half the strong one's price per token.
  s.providers[0] = { ...s.providers[0]!, pricing: { inputPerMTok: 5, outputPerMTok: 50 } } as never;
  s.workload.classes = [
    {
      name: 'agent',
      arrivals: { rate: 0.5 },
      promptTokens: 1000,
      outputTokens: 100,
      session: {
        calls: CALLS,
        toolTokens: 100,
        thinkTime: 100,
        maxContext: 1_000_000,
      },
    },
  ];
  s.quality = {
    models: { weak, strong: 1 },
    ...(giveUpAfter !== undefined ? { sessions: { giveUpAfter } } : {}),
  };
  return s;
}

const ALL_WEAK = 1;
const ALL_STRONG = 0;

describe('agent sessions with quality', () => {
  it('a model with sessionCalls f makes f x the planned calls; a factor-1 model the planned ones', async () => {
    const weak = await runQuality(agents({ capability: 0.6, sessionCalls: 2.5 }, ALL_WEAK));
    const strong = await runQuality(agents({ capability: 0.6, sessionCalls: 2.5 }, ALL_STRONG));
    expect(weak.sessions!.completed).toBe(weak.sessions!.started);
    expect(weak.sessions!.callsPerSession).toBe(CALLS * 2.5);
    expect(strong.sessions!.callsPerSession).toBe(CALLS);
  });

  it('makes the model cheapest per call dearer per session', async () => {
    const weak = await runQuality(agents({ capability: 0.6, sessionCalls: 3 }, ALL_WEAK));
    const strong = await runQuality(agents({ capability: 0.6, sessionCalls: 3 }, ALL_STRONG));
    const perCall = (r: RunResult) => r.cost.totalUsd / r.requests.offered;
    expect(perCall(weak)).toBeLessThan(perCall(strong));
    expect(weak.sessions!.costPerSessionUsd).toBeGreaterThan(strong.sessions!.costPerSessionUsd);
  });

  it('aborts a session once it has made giveUpAfter x its planned calls', async () => {
    const r = await runQuality(agents({ capability: 0.6, sessionCalls: 2.5 }, ALL_WEAK, 2));
    expect(r.sessions!.completed).toBe(0);
    expect(r.sessions!.aborted).toBe(r.sessions!.started);
    expect(r.sessions!.callsPerSession).toBe(CALLS * 2);
  });

  it('leaves sessions as they were with factor-1 models: the same figures as without quality', async () => {
    const s = agents(1, ALL_WEAK);
    const withQuality = await runQuality(s);
    delete s.quality;
    const without = await runQuality(s);
    const { quality: _q, ...rest } = withQuality;
    const { quality: _c, ...agentClass } = withQuality.classes['agent']!;
    const { acceptable: _a, qualityGoodput: _g, acceptableShare: _s, ...series } = withQuality.timeseries;
    const {
      acceptable: _ca,
      qualityGoodput: _cg,
      acceptableShare: _cs,
      ...agentSeries
    } = withQuality.timeseries.classes['agent']!;
    expect({
      ...rest,
      classes: { agent: agentClass },
      timeseries: { ...series, classes: { agent: agentSeries } },
    }).toEqual(without);
  });
});
