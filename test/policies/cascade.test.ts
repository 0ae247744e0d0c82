import { describe, expect, it } from 'vitest';
import cascade from '../../policies/cascade.ts';
import type { RouteContext, RoutingPolicy, TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(cascade, {});
runPolicyContract(cascade, {
  models: ['t1', 't0'],
  judge: { falseAccept: 0.1, falseReject: 0.1, latencyMs: 50 },
});

// Price = inputPerMTok + outputPerMTok.
const big = makeTarget(0, { models: ['big'], inputPerMTok: 10, outputPerMTok: 30 }); // 40
const small = makeTarget(1, { models: ['small'], inputPerMTok: 0.5, outputPerMTok: 1.5 }); // 2
const mid = makeTarget(2, { models: ['mid'], inputPerMTok: 3, outputPerMTok: 6 }); // 9
const other = makeTarget(3, { models: ['other'], inputPerMTok: 0.1, outputPerMTok: 0.1 });
const all = [big, small, mid];
const JUDGE = { falseAccept: 0.05, falseReject: 0.1, latencyMs: 200, costUsd: 0.0002 };

function setup(params: Record<string, unknown>): RoutingPolicy {
  return cascade.create(cascade.params!.parse(params), fakeContext().ctx);
}
const route = (p: RoutingPolicy, targets: TargetView[], ctx: RouteContext = FIRST_ATTEMPT) =>
  (p.route(makeRequest(), targets, ctx) as TargetView).index;
const escalate = (previous: TargetView): RouteContext => ({ attempt: 1, previous });

describe('cascade', () => {
  it('starts on the cheapest target and climbs by price, one rung per escalation', () => {
    const p = setup({ judge: JUDGE });
    expect(route(p, all)).toBe(1);
    expect(route(p, all, escalate(small))).toBe(2);
    expect(route(p, all, escalate(mid))).toBe(0);
    expect(route(p, all, escalate(big))).toBe(0); // nothing above: the top rung
  });

  it('judges every answer but the top rung the class was offered', () => {
    const p = setup({ judge: JUDGE });
    route(p, all);
    expect(p.judge!(makeOutcome(small, { request: makeRequest() }))).toEqual(JUDGE);
    expect(p.judge!(makeOutcome(mid, { request: makeRequest() }))).toEqual(JUDGE);
    expect(p.judge!(makeOutcome(big, { request: makeRequest() }))).toBeUndefined();
    // A class offered only the small model: its answers are final (no loop on one target).
    const q = setup({ judge: JUDGE });
    route(q, [small]);
    expect(q.judge!(makeOutcome(small, { request: makeRequest() }))).toBeUndefined();
  });

  it('follows a given ladder of models, skipping targets outside it while any is offered', () => {
    const p = setup({ models: ['mid', 'big'] });
    expect(route(p, [small, mid, big, other])).toBe(2);
    expect(route(p, [small, mid, big, other], escalate(mid))).toBe(0);
    expect(p.judge!(makeOutcome(mid, { request: makeRequest() }))).toEqual({
      falseAccept: 0,
      falseReject: 0,
      latencyMs: 0,
      costUsd: 0,
    });
    // No ladder model offered: the first target, never judged.
    expect(route(p, [other, small])).toBe(3);
    expect(p.judge!(makeOutcome(other, { request: makeRequest() }))).toBeUndefined();
  });
});
