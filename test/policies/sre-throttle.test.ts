import { describe, expect, it } from 'vitest';
import sreThrottle from '../../policies/sre-throttle.ts';
import {
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(sreThrottle);
runPolicyContract(sreThrottle, { window: 10_000, bucketMs: 100, K: 1.5, countRejected: false });

const throttled = { reject: 'throttled' };
const t = makeTarget(0);

/** A throttle whose random() returns the values pushed to `draws`, in order. */
function setup(params: Record<string, unknown> = {}) {
  const { ctx, advance } = fakeContext();
  const draws: number[] = [];
  const policy = sreThrottle.create(sreThrottle.params!.parse(params), {
    ...ctx,
    random: () => {
      const v = draws.shift();
      if (v === undefined) throw new Error('unexpected draw');
      return v;
    },
  });
  const admit = (draw?: number) => {
    if (draw !== undefined) draws.push(draw);
    const d = policy.admit(makeRequest(), { inFlight: 0, queued: 0 }, 0);
    expect(draws).toHaveLength(0);
    return d;
  };
  const outcomes = (status: string, n: number) => {
    for (let i = 0; i < n; i++) policy.onOutcome!(makeOutcome(t, { status }));
  };
  return { admit, outcomes, advance };
}

describe('sre-throttle (Google SRE client-side throttling)', () => {
  it('rejects with p = max(0, (requests - 2 accepts) / (requests + 1)), counting its own rejections', () => {
    const { admit, outcomes } = setup();
    expect(admit()).toBe('admit'); // p = 0: no draw
    outcomes('ok', 4);
    outcomes('overloaded', 3);
    outcomes('rate_limited', 3); // requests 10, accepts 4: p = 2 / 11 = 0.1818
    expect(admit(0.18)).toEqual(throttled); // requests 11: p = 3 / 12 = 0.25
    expect(admit(0.26)).toBe('admit');
    expect(admit(0.24)).toEqual(throttled); // requests 12: p = 4 / 13
    outcomes('timeout', 1);
    outcomes('server_error', 1); // not overload rejections: requests 14, accepts 6, p = 2 / 15
    expect(admit(0.134)).toBe('admit');
    expect(admit(0.133)).toEqual(throttled); // requests 15: p = 3 / 16 = 0.1875
    outcomes('cancelled', 5); // not counted
    expect(admit(0.1876)).toBe('admit');
    outcomes('ok', 2); // requests 17, accepts 8: p = 1 / 18 > 0
    expect(admit(0.056)).toBe('admit');
    outcomes('ok', 1); // requests 18, accepts 9: p = 0
    expect(admit()).toBe('admit');
  });

  it('forgets what is older than the window (2 minutes, 1 s buckets)', () => {
    const { admit, outcomes, advance } = setup();
    outcomes('overloaded', 9); // requests 9, accepts 0: p = 0.9
    advance(119_999);
    expect(admit(0.89)).toEqual(throttled); // requests 10, the new one at 119.999 s
    advance(1); // t = 120 s: the t = 0 bucket leaves the window
    expect(admit(0.49)).toEqual(throttled); // requests 1: p = 1 / 2; now 2
    expect(admit(0.67)).toBe('admit'); // p = 2 / 3
    advance(120_000);
    expect(admit()).toBe('admit'); // all forgotten: p = 0
  });

  it('takes K, and counts attempts only with countRejected: false', () => {
    const { admit, outcomes } = setup({ K: 1.5, countRejected: false });
    outcomes('ok', 2);
    outcomes('overloaded', 2); // requests 4, accepts 2: p = (4 - 3) / 5 = 0.2
    expect(admit(0.19)).toEqual(throttled);
    expect(admit(0.19)).toEqual(throttled); // still 0.2: rejections not counted
    expect(admit(0.2)).toBe('admit');
  });
});
