import { describe, expect, it } from 'vitest';
import thresholdRouter from '../../policies/threshold-router.ts';
import type { RouteContext, RoutingPolicy, TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(thresholdRouter, { threshold: 0.5 });
runPolicyContract(thresholdRouter, { threshold: 0.3, weak: 'small', strong: 'big', classifierLatencyMs: 20 });

// Price = inputPerMTok + outputPerMTok.
const big = makeTarget(0, { models: ['big'], inputPerMTok: 10, outputPerMTok: 30 }); // 40
const small = makeTarget(1, { models: ['small'], inputPerMTok: 0.5, outputPerMTok: 1.5 }); // 2
const mid = makeTarget(2, { models: ['mid'], inputPerMTok: 3, outputPerMTok: 6 }); // 9
const bigBusy = makeTarget(3, { models: ['big'], inputPerMTok: 10, outputPerMTok: 30, inFlight: 5 });
const all = [big, small, mid, bigBusy];

function setup(params: Record<string, unknown>): RoutingPolicy {
  return thresholdRouter.create(thresholdRouter.params!.parse(params), fakeContext().ctx);
}
const pick = (
  p: RoutingPolicy,
  estimate: number,
  targets: TargetView[] = all,
  ctx: RouteContext = FIRST_ATTEMPT,
) => (p.route(makeRequest({ difficultyEstimate: estimate }), targets, ctx) as TargetView).index;

describe('threshold-router', () => {
  it('sends an estimate above the threshold to the dearest target, else to the cheapest', () => {
    const p = setup({ threshold: 0.5 });
    expect(pick(p, 0.2)).toBe(1);
    expect(pick(p, 0.5)).toBe(1); // not above
    expect(pick(p, 0.51)).toBe(0); // dearest, fewest in flight among equal prices
    expect(pick(p, Number.NaN)).toBe(1); // no quality section: no estimate, the weak model
  });

  it('uses the named models when given, and the price rule when the class may use neither', () => {
    const p = setup({ threshold: 0.5, weak: 'mid', strong: 'big' });
    expect(pick(p, 0.1)).toBe(2);
    expect(pick(p, 0.9)).toBe(0);
    expect(pick(p, 0.9, [bigBusy, big])).toBe(0); // fewest in flight among the model's targets
    expect(pick(p, 0.1, [small, bigBusy])).toBe(1); // no 'mid' offered: the cheapest
  });

  it('escalates a retry to the strong model whatever the estimate', () => {
    const p = setup({ threshold: 0.5 });
    expect(pick(p, 0.1, all, { attempt: 1, previous: small })).toBe(0);
  });

  it('declares its classifier call only when it has a latency or a cost', () => {
    expect(setup({ threshold: 0.5 }).classifier).toBeUndefined();
    expect(setup({ threshold: 0.5, classifierLatencyMs: 15, classifierCostUsd: 1e-5 }).classifier).toEqual({
      latencyMs: 15,
      costUsd: 1e-5,
    });
  });
});
