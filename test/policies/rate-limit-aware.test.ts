import { describe, expect, it } from 'vitest';
import rateLimitAware from '../../policies/rate-limit-aware.ts';
import { isRejection, type TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(rateLimitAware);
runPolicyContract(rateLimitAware, {
  limits: { t0: { rpm: 10 }, t1: { tpm: 2000 }, t2: { rpm: 5, tpm: 900 } },
});

type Params = Parameters<typeof rateLimitAware.create>[0];

function setup(over: Partial<Params>) {
  const { ctx, advance } = fakeContext();
  const policy = rateLimitAware.create(rateLimitAware.params!.parse(over), ctx);
  const pick = (targets: TargetView[], promptTokens = 500) => {
    const d = policy.route(makeRequest({ promptTokens }), targets, FIRST_ATTEMPT);
    return isRejection(d) ? d.reject : d.index;
  };
  return { pick, advance };
}

describe('rate-limit-aware', () => {
  it('takes the largest share of limits left after the request, and rejects when all are exhausted', () => {
    const { pick } = setup({ limits: { t0: { rpm: 4 }, t1: { rpm: 2, tpm: 3000 } } });
    const targets = [makeTarget(0), makeTarget(1)];
    // share t0 = (4 - used - 1) / 4; t1 = min((2 - used - 1) / 2, (3000 - tokens - 500) / 3000)
    // 1: 0.75 vs min(0.5, 0.833) -> t0     2: 0.5 vs 0.5 -> t0 (tie to the first)
    // 3: 0.25 vs 0.5 -> t1                 4: 0.25 vs min(0, 0.667) -> t0
    // 5: 0 vs 0 -> t0                      6: t0 exhausted; t1 at 0 -> t1    7: none left
    expect(Array.from({ length: 7 }, () => pick(targets))).toEqual([0, 0, 1, 0, 0, 1, 'rate-limited-all']);
  });

  it('counts prompt tokens against tpm and skips a target the request would overrun', () => {
    const { pick } = setup({ limits: { t0: { tpm: 1000 }, t1: { tpm: 5000 } } });
    const targets = [makeTarget(0), makeTarget(1)];
    expect(pick(targets, 600)).toBe(1); // (1000 - 600) / 1000 = 0.4 vs (5000 - 600) / 5000 = 0.88
    expect(pick(targets, 600)).toBe(1); // 0.4 vs 0.76
    expect(pick(targets, 600)).toBe(1); // 0.4 vs 0.64
    expect(pick(targets, 600)).toBe(1); // 0.4 vs 0.52
    expect(pick(targets, 600)).toBe(0); // 0.4 vs 0.4: tie to the first
    expect(pick(targets, 500)).toBe(1); // t0 would need 1100 > 1000; t1 (5000 - 2400 - 500) / 5000
    expect(pick(targets, 2100)).toBe(1); // t1: 2900 + 2100 = 5000 exactly fits
    expect(pick(targets, 401)).toBe('rate-limited-all'); // t0 has 400 left, t1 none
    expect(pick(targets, 400)).toBe(0);
  });

  it('forgets sends after the sliding window (60 s by default)', () => {
    const { pick, advance } = setup({ limits: { t0: { rpm: 2 } } });
    const t0 = [makeTarget(0)];
    expect(pick(t0)).toBe(0); // at 0
    advance(30_000);
    expect(pick(t0)).toBe(0); // at 30 s
    expect(pick(t0)).toBe('rate-limited-all');
    advance(29_999);
    expect(pick(t0)).toBe('rate-limited-all'); // at 59.999 s the send at 0 still counts
    advance(1);
    expect(pick(t0)).toBe(0); // at 60 s it has left the window
    expect(pick(t0)).toBe('rate-limited-all');
  });

  it('skips a target inside its retry-after, and prefers targets without limits', () => {
    const { pick, advance } = setup({ limits: { t0: { rpm: 100 } } });
    const throttled = [makeTarget(1, { retryAfterUntilMs: 5000 }), makeTarget(0)];
    expect(pick(throttled)).toBe(0);
    advance(4999);
    expect(pick(throttled)).toBe(0);
    advance(1);
    expect(pick(throttled)).toBe(1); // unlimited (share 1) beats t0 at 97/100
    expect(pick([makeTarget(0, { retryAfterUntilMs: 1e9 })])).toBe('rate-limited-all');
  });
});
