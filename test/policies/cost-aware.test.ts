import { describe, expect, it } from 'vitest';
import costAware from '../../policies/cost-aware.ts';
import type { TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(costAware);
runPolicyContract(costAware, { outputTokens: 1000, alpha: 0.5 });

type Params = Parameters<typeof costAware.create>[0];

function setup(over: Partial<Params> = {}) {
  const policy = costAware.create(costAware.params!.parse(over), fakeContext().ctx);
  const pick = (targets: TargetView[], ttftSlo = Number.POSITIVE_INFINITY, promptTokens = 500) =>
    (
      policy.route(
        makeRequest({ promptTokens, slo: { ttftMs: ttftSlo, tpotMs: Infinity, e2eMs: Infinity } }),
        targets,
        FIRST_ATTEMPT,
      ) as TargetView
    ).index;
  const ttft = (t: TargetView, ms: number) => policy.onOutcome!(makeOutcome(t, { ttftMs: ms }));
  return { policy, pick, ttft };
}

// Prices per MTok: cheap 1 in / 2 out, pricey 5 / 10.
const cheap = makeTarget(0);
const pricey = makeTarget(1, { inputPerMTok: 5, outputPerMTok: 10 });

describe('cost-aware', () => {
  it('prices a request as inputPerMTok x prompt + outputPerMTok x outputTokens', () => {
    // a: 1 x p + 10 x 256 = p + 2560; b: 3 x p + 2 x 256 = 3p + 512; equal at p = 1024.
    const a = makeTarget(0, { inputPerMTok: 1, outputPerMTok: 10 });
    const b = makeTarget(1, { inputPerMTok: 3, outputPerMTok: 2 });
    const { pick } = setup();
    expect(pick([a, b], Infinity, 1000)).toBe(1); // 3560 vs 3512
    expect(pick([a, b], Infinity, 1024)).toBe(0); // 3584 vs 3584: tie to the first
    expect(pick([a, b], Infinity, 1100)).toBe(0); // 3660 vs 3812
    // With outputTokens 0 only input prices count: a is cheaper at any prompt size.
    expect(setup({ outputTokens: 0 }).pick([a, b], Infinity, 1000)).toBe(0);
  });

  it('counts unobserved targets as meeting the SLO and takes the cheapest', () => {
    const { pick } = setup();
    expect(pick([pricey, cheap], 100)).toBe(0);
  });

  it('skips targets whose TTFT EWMA misses the SLO; the EWMA moves by alpha = 0.2', () => {
    const { pick, ttft } = setup();
    ttft(cheap, 800);
    ttft(pricey, 400);
    expect(pick([cheap, pricey], 500)).toBe(1); // cheap at 800 misses 500
    // 800 -> 700 -> 620 -> 556 -> 504.8 -> 463.84
    for (const expected of [1, 1, 1, 1, 0]) {
      ttft(cheap, 300);
      expect(pick([cheap, pricey], 500)).toBe(expected);
    }
    expect(pick([cheap, pricey], 463.841)).toBe(0);
    expect(pick([cheap, pricey], 463.839)).toBe(1);
  });

  it('when no target meets the SLO, takes the fastest observed whatever its price', () => {
    const { pick, ttft } = setup();
    ttft(cheap, 800);
    ttft(pricey, 400);
    expect(pick([cheap, pricey], 100)).toBe(1);
    ttft(cheap, 0); // 800 - 0.2 x 800 = 640: still slower
    expect(pick([cheap, pricey], 100)).toBe(1);
  });

  it('counts a timeout without a token as a TTFT of its latency', () => {
    const { policy, pick } = setup();
    policy.onOutcome!(makeOutcome(cheap, { status: 'timeout', ttftMs: Number.NaN, latencyMs: 5000 }));
    expect(pick([cheap, pricey], 1000)).toBe(1);
    // Other failures without a token say nothing about TTFT.
    const other = setup();
    other.policy.onOutcome!(
      makeOutcome(cheap, { status: 'server_error', ttftMs: Number.NaN, latencyMs: 5000 }),
    );
    expect(other.pick([cheap, pricey], 1000)).toBe(0);
  });
});
