import { describe, expect, it } from 'vitest';
import rateLimitAware from '../../policies/rate-limit-aware.ts';
import { isRejection, type TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(rateLimitAware);
runPolicyContract(rateLimitAware, { source: 'headers' });
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
  return { pick, advance, policy };
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

describe('rate-limit-aware, source: headers', () => {
  const bucket = (limit: number, remaining: number, resetMs: number) => ({ limit, remaining, resetMs });
  const headers = (requests: ReturnType<typeof bucket>, inputTokens?: ReturnType<typeof bucket>) => ({
    requests,
    inputTokens,
    outputTokens: undefined,
  });

  it('reads remaining from the last response, less what it sent since, and ignores its own window', () => {
    const { pick, policy, advance } = setup({ source: 'headers', limits: { t0: { rpm: 1 } } });
    const [t0, t1] = [makeTarget(0), makeTarget(1)];
    // No headers yet: both count as full; the first wins the tie (the window's rpm 1 is not used).
    expect(pick([t0, t1])).toBe(0);
    expect(pick([t0, t1])).toBe(0);
    // A response to a request counted at -1 ms (both sends at 0 came after it): 10 of 100 left;
    // t1's: 50 of 100.
    policy.onOutcome!(makeOutcome(t0, { startMs: -1, rateLimit: headers(bucket(100, 10, 54_000)) }));
    policy.onOutcome!(makeOutcome(t1, { startMs: 0, rateLimit: headers(bucket(100, 50, 90_000)) }));
    // t0: 10 - 2 sent since - 1 = 7 -> 0.07; t1: 50 - 0 - 1 = 49 -> 0.49.
    expect(pick([t0, t1])).toBe(1);
    // 54 s on, t0 has refilled to 100 by its reset: 100 - 2 - 1 -> 0.97; t1 is refilling
    // linearly: 50 + 50 x 54/90 = 80, less 1 sent and 1 -> 0.78.
    advance(54_000);
    expect(pick([t0, t1])).toBe(0);
  });

  it('skips a target whose headers say the request does not fit, until they reset', () => {
    const { pick, policy, advance } = setup({ source: 'headers' });
    const t0 = makeTarget(0);
    policy.onOutcome!(makeOutcome(t0, { rateLimit: headers(bucket(60, 0, 60_000), bucket(6000, 6000, 0)) }));
    expect(pick([t0])).toBe('rate-limited-all');
    advance(999);
    expect(pick([t0])).toBe('rate-limited-all'); // 0.999 requests refilled
    advance(1);
    expect(pick([t0], 7000)).toBe('rate-limited-all'); // a request over the token limit never fits
    expect(pick([t0], 500)).toBe(0);
    expect(pick([t0], 500)).toBe('rate-limited-all'); // the one it sent counts against the estimate
  });

  it('keeps the headers of the request that started last, whatever order responses arrive in', () => {
    const { pick, policy } = setup({ source: 'headers' });
    const [t0, t1] = [makeTarget(0), makeTarget(1)];
    policy.onOutcome!(makeOutcome(t0, { startMs: 5, rateLimit: headers(bucket(100, 90, 1000)) }));
    policy.onOutcome!(makeOutcome(t0, { startMs: 1, rateLimit: headers(bucket(100, 1, 1000)) }));
    policy.onOutcome!(makeOutcome(t1, { startMs: 5, rateLimit: headers(bucket(100, 80, 1000)) }));
    policy.onOutcome!(makeOutcome(t1, { startMs: 6 })); // a response without headers changes nothing
    expect(pick([t1, t0])).toBe(0);
  });
});
