/**
 * Common random numbers for quality (FG-3): each request's difficulty and its estimate are drawn
 * at arrival from the workload's own streams (`workload/quality/<class>` and `.../estimate`), so
 * every routing policy faces the same requests with the same difficulties; and a scenario
 * without a `quality` section draws nothing new.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PolicyDefinition, RoutingPolicy } from '../../src/gateway/policy.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { resolvePolicies, runScenario } from '../../src/simulator/simulate.ts';
import { qualityScenario, runQuality } from './harness.ts';

const ROUTINGS = [
  'round-robin',
  'random',
  'least-outstanding',
  { policy: 'threshold-router', params: { threshold: 0.5 } },
  { policy: 'cascade', params: { judge: { falseAccept: 0.2, falseReject: 0.2, latencyMs: 50 } } },
  { policy: 'model-selection', params: { quality: { weak: 0.6, strong: 0.9 }, bars: { chat: 0.7 } } },
] as const;

/** Runs `s` and returns, per request id, the difficulty estimate its routing calls saw. */
async function estimatesById(s: ScenarioInput, seed: number): Promise<Map<number, number>> {
  const loaded = await loadScenarioObject(s);
  const policies = await resolvePolicies(loaded);
  const seen = new Map<number, number>();
  const inner = policies.routing.definition as PolicyDefinition<'routing'>;
  const watching: PolicyDefinition<'routing'> = {
    ...inner,
    create(params, ctx) {
      const policy = inner.create(params, ctx);
      const wrapped: RoutingPolicy = {
        ...policy,
        route(req, targets, context) {
          const before = seen.get(req.id);
          // A request routed twice (a retry, an escalation) shows the same estimate each time.
          if (before !== undefined) expect(req.difficultyEstimate).toBe(before);
          seen.set(req.id, req.difficultyEstimate);
          return policy.route(req, targets, context);
        },
      };
      if (policy.judge) wrapped.judge = policy.judge.bind(policy);
      return wrapped;
    },
  };
  runScenario(
    loaded,
    { ...policies, routing: { ...policies.routing, definition: watching as PolicyDefinition } },
    {
      seed,
    },
  );
  return seen;
}

describe('quality draws are common random numbers', () => {
  it('gives each request the same difficulty estimate whatever the routing policy (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(1, 0.8, 0),
        fc.constantFrom(...ROUTINGS.keys()),
        fc.constantFrom(...ROUTINGS.keys()),
        async (seed, correlation, a, b) => {
          const scenario = (k: number) =>
            qualityScenario({ seconds: 20, rate: 20, correlation, routing: ROUTINGS[k] as never });
          const first = await estimatesById(scenario(a), seed);
          const second = await estimatesById(scenario(b), seed);
          expect(first.size).toBeGreaterThan(0);
          expect([...second.entries()].sort((x, y) => x[0] - y[0])).toEqual(
            [...first.entries()].sort((x, y) => x[0] - y[0]),
          );
        },
      ),
      { numRuns: 12 },
    );
  });

  it('with correlation 1 the estimate is the difficulty: acceptability follows it exactly', async () => {
    // Capability 0.6 and a perfect estimate: the requests the threshold router sends to the weak
    // model at threshold 0.6 are exactly those it answers acceptably.
    const r = await runQuality(
      qualityScenario({ strong: 1, routing: { policy: 'threshold-router', params: { threshold: 0.6 } } }),
    );
    expect(r.quality!.acceptable).toBe(r.requests.offered);
  });

  it('leaves a run without a quality section as it was: no estimate in the view, no quality figures', async () => {
    const s = qualityScenario({ seconds: 10 });
    delete s.quality;
    const seen = await estimatesById(s, 3);
    expect([...seen.values()].every(Number.isNaN)).toBe(true);
    const loaded = await loadScenarioObject(s);
    const r = runScenario(loaded, await resolvePolicies(loaded), { seed: 3 });
    expect(r.quality).toBeUndefined();
    expect(r.classes['chat']!.quality).toBeUndefined();
    expect(r.timeseries.acceptable).toBeUndefined();
  });
});
