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

describe("sre-throttle: variant defaults are their sources' defaults", () => {
  it('fills window, buckets, K, the floor and protection from the variant; each stays a parameter', () => {
    const { ctx } = fakeContext();
    const admitsAfter = (
      params: Record<string, unknown>,
      oks: number,
      fails: number,
      failStatus = 'server_error',
    ) => {
      const draws: number[] = [];
      const policy = sreThrottle.create(sreThrottle.params!.parse(params), {
        ...ctx,
        random: () => draws.shift() ?? 0,
      });
      for (let i = 0; i < oks; i++) policy.onOutcome!(makeOutcome(t, { status: 'ok' }));
      for (let i = 0; i < fails; i++) policy.onOutcome!(makeOutcome(t, { status: failStatus }));
      return policy.admit(makeRequest(), { inFlight: 0, queued: 0 }, 0);
    };
    // kratos: 99 failures are below its floor of 100 requests; 100 are not (p = 100 / 101).
    expect(admitsAfter({ variant: 'kratos' }, 0, 99)).toBe('admit');
    expect(admitsAfter({ variant: 'kratos' }, 0, 100)).toEqual(throttled);
    expect(admitsAfter({ variant: 'kratos', minRequests: 0 }, 0, 1)).toEqual(throttled);
    // kratos counts 429 as accepted, the book as a rejection.
    expect(admitsAfter({ variant: 'kratos', minRequests: 0 }, 0, 5, 'rate_limited')).toBe('admit');
    expect(admitsAfter({ variant: 'book' }, 0, 5, 'rate_limited')).toEqual(throttled);
    // go-zero: the first 5 requests are protected ((5 - 5) / 6 = 0), the 6th is not.
    expect(admitsAfter({ variant: 'go-zero' }, 0, 5)).toBe('admit');
    expect(admitsAfter({ variant: 'go-zero' }, 0, 6)).toEqual(throttled);
    expect(admitsAfter({ variant: 'go-zero', protection: 0 }, 0, 1)).toEqual(throttled);
    // K: kratos 1 / 0.6: 100 oks and 167 failures: 267 - 166.7 > 0; go-zero 1.5.
    expect(admitsAfter({ variant: 'kratos' }, 100, 66)).toBe('admit'); // 166 < 166.67
    expect(admitsAfter({ variant: 'kratos' }, 100, 67)).toEqual(throttled);
  });

  it("refuses a bucket wider than the window, with the variant's window", () => {
    expect(sreThrottle.params!.safeParse({ variant: 'kratos', bucketMs: 3001 }).success).toBe(false);
    expect(sreThrottle.params!.safeParse({ variant: 'kratos', bucketMs: 3000 }).success).toBe(true);
  });
});

/** A throttle driven through a variant, with a seeded stream unless draws are queued. */
function driven(params: Record<string, unknown>, failStatus = 'server_error') {
  const { ctx, advance } = fakeContext('sre');
  const queued: number[] = [];
  const policy = sreThrottle.create(sreThrottle.params!.parse(params), {
    ...ctx,
    random: () => queued.shift() ?? ctx.random(),
  });
  const admit = (draw?: number) => {
    if (draw !== undefined) queued.push(draw);
    const d = policy.admit(makeRequest(), { inFlight: 0, queued: 0 }, 0);
    queued.length = 0;
    return d;
  };
  const mark = (status: string) => policy.onOutcome!(makeOutcome(t, { status }));
  const markSuccess = (n: number, sleepMs = 0) => {
    for (let i = 0; i < n; i++) {
      mark('ok');
      if (sleepMs) advance(sleepMs);
    }
  };
  const markFailed = (n: number, sleepMs = 0) => {
    for (let i = 0; i < n; i++) {
      mark(failStatus);
      if (sleepMs) advance(sleepMs);
    }
  };
  /** go-zero's helpers go through allow(): a success stops at the first drop, a failure is dropped or marked. */
  const allowSuccess = (n: number) => {
    for (let i = 0; i < n; i++) {
      if (admit() !== 'admit') break;
      mark('ok');
    }
  };
  const allowFailed = (n: number) => {
    for (let i = 0; i < n; i++) if (admit() === 'admit') mark(failStatus);
  };
  /** go-zero's verify: the check holds at least 75 times in 100. */
  const verify = (check: () => boolean) => {
    let count = 0;
    for (let i = 0; i < 100; i++) if (check()) count++;
    return count;
  };
  return { admit, advance, markSuccess, markFailed, allowSuccess, allowFailed, verify };
}

/** go-kratos/aegis circuitbreaker/sre/sre_test.go (e0742c6, 2025): getSREBreaker is 10 buckets of 100 ms, request 100, k 2. */
describe('sre-throttle variant kratos: aegis sre_test.go', () => {
  const kratos = { variant: 'kratos', window: 1000, bucketMs: 100, K: 2 };

  it('TestSRE/testSREClose: 80 then 200 successes allow', () => {
    const b = driven(kratos);
    b.markSuccess(80);
    expect(b.admit()).toBe('admit');
    b.markSuccess(120);
    expect(b.admit()).toBe('admit');
  });

  it('TestSRE/testSREOpen: 100 successes allow; 10,000,000 failures more reject', () => {
    const b = driven(kratos);
    b.markSuccess(100);
    expect(b.admit()).toBe('admit');
    b.markFailed(10_000_000);
    // p = (10,000,100 - 200) / 10,000,101 = 0.9999799
    expect(b.admit(0.99998)).toBe('admit');
    expect(b.admit(0.99997)).toEqual(throttled);
  });

  it('TestSRE/testSREHalfOpen: 10,000,000 failures reject; 2 s later allowed, and after 10,000,000 successes', () => {
    const b = driven(kratos);
    expect(b.admit()).toBe('admit');
    b.markFailed(10_000_000);
    expect(b.admit(0.9999999)).toEqual(throttled);
    b.advance(2000);
    expect(b.admit()).toBe('admit');
    b.markSuccess(10_000_000);
    expect(b.admit()).toBe('admit');
  });

  it('TestSRESelfProtection: 99 failures (below 100 requests) allow; successes above half allow', () => {
    const b = driven(kratos);
    b.markFailed(99);
    expect(b.admit()).toBe('admit');
    const c = driven(kratos);
    c.markSuccess(1001); // size 1000, succ = size + 1, failed size - succ < 0
    expect(c.admit()).toBe('admit');
  });

  it('TestSRESummary, read through p (floor 0): 10 successes, 10 failures, 5 and 5, then reset after 1 s', () => {
    const at = { ...kratos, minRequests: 0 };
    const s = driven(at);
    s.markSuccess(10, 50);
    expect(s.admit()).toBe('admit'); // 10 - 2 x 10 < 0: no draw
    const f = driven(at);
    f.markFailed(10, 50); // succ 0, total 10: p = 10 / 11
    expect(f.admit(10 / 11 + 1e-9)).toBe('admit');
    expect(f.admit(10 / 11 - 1e-9)).toEqual(throttled);
    const h = driven(at);
    h.markFailed(5, 50);
    h.markSuccess(5, 50); // succ 5, total 10: p = 0
    expect(h.admit(0)).toBe('admit');
    h.advance(1000); // auto reset: 0, 0
    h.markFailed(1); // p = 1 / 2
    expect(h.admit(0.5 + 1e-9)).toBe('admit');
    expect(h.admit(0.5 - 1e-9)).toEqual(throttled);
  });
});

/** zeromicro/go-zero core/breaker/googlebreaker_test.go (11f2109, 2026): getGoogleBreaker is 10 buckets of 10 ms, k 5. */
describe('sre-throttle variant go-zero: googlebreaker_test.go', () => {
  const goZero = { variant: 'go-zero', window: 100, bucketMs: 10, K: 5 };
  const dropped = (d: unknown) => d !== 'admit';

  it('TestGoogleBreakerClose: 80 then 200 successes accept', () => {
    const b = driven(goZero);
    b.allowSuccess(80);
    expect(b.admit()).toBe('admit');
    b.allowSuccess(120);
    expect(b.admit()).toBe('admit');
  });

  it('TestGoogleBreakerOpen: 10 successes, 100,000 failures, 20 ms later: at least 75 of 100 rejected', () => {
    const b = driven(goZero);
    b.allowSuccess(10);
    expect(b.admit()).toBe('admit');
    b.allowFailed(100_000);
    b.advance(20);
    expect(b.verify(() => dropped(b.admit()))).toBeGreaterThanOrEqual(75);
  });

  it('TestGoogleBreakerRecover: 10 buckets of 100 failures then 10 of 100 successes (20 x 10 ms, k 1.5): 75+ of 100 accepted', () => {
    const b = driven({ variant: 'go-zero', window: 200, bucketMs: 10 });
    for (let i = 0; i < 10; i++) {
      b.markFailed(100);
      b.advance(10);
    }
    for (let i = 0; i < 10; i++) {
      b.markSuccess(100);
      b.advance(10);
    }
    // 900 failures and 1000 successes left, 10 working buckets: p = (1900 - 5 - 1500) / 1901 x (40 - 10) / 40 = 0.156
    expect(b.verify(() => b.admit() === 'admit')).toBeGreaterThanOrEqual(75);
  });

  it('TestGoogleBreakerMoreFallingBuckets: failing every 1 ms for 60 ms, then more than 90 of 100 dropped', () => {
    const b = driven(goZero);
    for (let ms = 0; ms < 60; ms++) {
      b.advance(1);
      if (b.admit() === 'admit') b.markFailed(1);
    }
    let count = 0;
    for (let i = 0; i < 100; i++) {
      const d = b.admit();
      if (dropped(d)) count++;
      else b.markFailed(1);
    }
    expect(count).toBeGreaterThan(90);
  });

  it('TestGoogleBreakerHalfOpen: rejects after failures, accepts once the window has passed and successes follow', () => {
    const b = driven(goZero);
    expect(b.admit()).toBe('admit');
    b.allowFailed(10_000);
    b.advance(20);
    expect(b.verify(() => dropped(b.admit()))).toBeGreaterThanOrEqual(75);
    b.allowFailed(10_000);
    b.advance(20);
    expect(b.verify(() => dropped(b.admit()))).toBeGreaterThanOrEqual(75);
    b.advance(100); // testInterval x testBuckets
    expect(b.admit()).toBe('admit');
    b.allowSuccess(10_000);
    expect(b.verify(() => b.admit() === 'admit')).toBeGreaterThanOrEqual(75);
  });

  it('TestGoogleBreakerSelfProtection: 4 failures are protected (5); successes above the failures accept', () => {
    const b = driven(goZero);
    b.allowFailed(4);
    b.advance(10);
    expect(b.admit()).toBe('admit');
    const c = driven(goZero);
    c.allowSuccess(1001);
    expect(c.admit()).toBe('admit');
  });

  it('TestGoogleBreakerHistory: accepts == total allows; a window later everything is forgotten', () => {
    const b = driven(goZero);
    b.markSuccess(10, 5);
    expect(b.admit()).toBe('admit'); // (10 - 5 - 5 x 10) / 11 < 0: no draw
    const r = driven(goZero);
    r.markFailed(10, 5);
    r.advance(100); // auto reset rolling counter
    expect(r.admit()).toBe('admit');
  });

  it('scales the ratio by trailing working buckets and lowers K by trailing failing buckets (of 40)', () => {
    const w = driven({ variant: 'go-zero' }); // 40 buckets of 250 ms
    w.markFailed(100);
    for (let b = 1; b <= 10; b++) {
      w.advance(250);
      w.markSuccess(1);
    }
    // total 110, accepts 10, 10 working buckets: (110 - 5 - 1.5 x 10) / 111 x 30 / 40 = 0.6081
    expect(w.admit(0.6082)).toBe('admit');
    expect(w.admit(0.608)).toEqual(throttled);

    const f = driven({ variant: 'go-zero' });
    f.markSuccess(1);
    for (let b = 1; b <= 10; b++) {
      f.advance(250);
      f.markFailed(1);
    }
    // total 11, accepts 1, 10 failing buckets: K = 1.5 - 0.4 x 10 / 40 = 1.4: (11 - 5 - 1.4) / 12 = 0.3833
    expect(f.admit(0.3834)).toBe('admit');
    expect(f.admit(0.3832)).toEqual(throttled);
  });

  it('lets a request through 1 s after the last one that passed a possible drop (forcePassDuration)', () => {
    const b = driven({ variant: 'go-zero' });
    b.markFailed(100); // p = (100 - 5) / 101 = 0.94, no working bucket
    expect(b.admit(0.95)).toBe('admit'); // passes a possible drop at t = 0
    b.advance(1001);
    expect(b.admit(0)).toBe('admit'); // forced: more than 1 s since that pass
    expect(b.admit(0)).toEqual(throttled);
  });
});
