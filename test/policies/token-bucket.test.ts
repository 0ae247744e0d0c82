import { describe, expect, it } from 'vitest';
import tokenBucket from '../../policies/token-bucket.ts';
import { fakeContext, makeRequest, runPolicyContract } from '../../src/testing/policy-contract.case.ts';

runPolicyContract(tokenBucket, { rate: 10 });
runPolicyContract(tokenBucket, {
  rate: 5,
  burst: 2,
  key: 'class',
  queue: true,
  overrides: { chat: { rate: 1 } },
});

const gw = { inFlight: 0, queued: 0 };
const limited = { reject: 'rate-limited' };

describe('token-bucket', () => {
  it('allows a burst, then one request per 1/rate seconds', () => {
    const { ctx, advance } = fakeContext();
    const policy = tokenBucket.create(tokenBucket.params!.parse({ rate: 10, burst: 2 }), ctx);
    const a = makeRequest({ tenant: 'a' });
    expect(policy.admit(a, gw, 0)).toBe('admit');
    expect(policy.admit(a, gw, 0)).toBe('admit');
    expect(policy.admit(a, gw, 0)).toEqual(limited);
    advance(50); // half a token
    expect(policy.admit(a, gw, 0)).toEqual(limited);
    advance(50); // one token
    expect(policy.admit(a, gw, 0)).toBe('admit');
    expect(policy.admit(a, gw, 0)).toEqual(limited);
    advance(10_000); // refills to the burst, no further
    expect(policy.admit(a, gw, 0)).toBe('admit');
    expect(policy.admit(a, gw, 0)).toBe('admit');
    expect(policy.admit(a, gw, 0)).toEqual(limited);
  });

  it('keeps one bucket per tenant, with per-key overrides, and burst = rate by default', () => {
    const { ctx } = fakeContext();
    const policy = tokenBucket.create(
      tokenBucket.params!.parse({ rate: 1, overrides: { big: { burst: 3 }, fast: { rate: 2 } } }),
      ctx,
    );
    const admitted = (tenant: string | undefined) => {
      let n = 0;
      while (policy.admit(makeRequest({ tenant }), gw, 0) === 'admit') n++;
      return n;
    };
    expect(admitted('a')).toBe(1);
    expect(admitted('b')).toBe(1);
    expect(admitted('big')).toBe(3);
    expect(admitted('fast')).toBe(2);
    expect(admitted(undefined)).toBe(1);
  });

  it('keys on the class when asked, and queues instead of shedding with queue: true', () => {
    const { ctx } = fakeContext();
    const policy = tokenBucket.create(tokenBucket.params!.parse({ rate: 1, key: 'class', queue: true }), ctx);
    expect(policy.admit(makeRequest({ className: 'chat', tenant: 'x' }), gw, 0)).toBe('admit');
    expect(policy.admit(makeRequest({ className: 'chat', tenant: 'y' }), gw, 0)).toBe('enqueue');
    expect(policy.admit(makeRequest({ className: 'batch', tenant: 'x' }), gw, 0)).toBe('admit');
  });
});
