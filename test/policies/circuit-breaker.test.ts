import { describe, expect, it } from 'vitest';
import circuitBreaker from '../../policies/circuit-breaker.ts';
import type { TargetView } from '../../src/gateway/policy.ts';
import {
  fakeContext,
  makeOutcome,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

// runPolicyContract (src/testing) has no health branch: it would call `admit` on a health policy.
runPolicyContract(circuitBreaker);
runPolicyContract(circuitBreaker, { minRequests: 2, openForMs: 100, windowMs: 1000, buckets: 4 });

type Params = Parameters<typeof circuitBreaker.create>[0];

function setup(over: Partial<Params> = {}) {
  const { ctx, advance } = fakeContext();
  const policy = circuitBreaker.create(circuitBreaker.params!.parse(over), ctx);
  const t = makeTarget(0);
  const send = (status: string, times = 1, target: TargetView = t) => {
    for (let k = 0; k < times; k++) policy.onOutcome!(makeOutcome(target, { status, startMs: ctx.now() }));
  };
  return { policy, advance, send, t, now: () => ctx.now() };
}

/** Opens the breaker at the current time with 20 errors. */
function opened() {
  const s = setup();
  s.send('server_error', 20);
  expect(s.policy.allows(s.t)).toBe(false);
  return s;
}

describe('circuit-breaker', () => {
  it('opens at 20 requests with at least 50% errors, not before', () => {
    const a = setup();
    a.send('server_error', 19);
    expect(a.policy.allows(a.t)).toBe(true); // 19 < minRequests
    a.send('timeout');
    expect(a.policy.allows(a.t)).toBe(false);

    const b = setup();
    b.send('ok', 10);
    b.send('overloaded', 10);
    expect(b.policy.allows(b.t)).toBe(false); // 10 / 20 = 50%

    const c = setup();
    c.send('ok', 11);
    c.send('rate_limited', 9); // 9 / 20
    c.send('stream_cut'); // 10 / 21 = 47.6%
    expect(c.policy.allows(c.t)).toBe(true);
    c.send('server_error'); // 11 / 22 = 50%
    expect(c.policy.allows(c.t)).toBe(false);
  });

  it('counts neither cancelled nor bad_request attempts', () => {
    const s = setup();
    s.send('server_error', 19);
    s.send('bad_request', 50);
    s.send('cancelled', 50);
    expect(s.policy.allows(s.t)).toBe(true);
  });

  it('rolls the window in 1 s buckets over 10 s', () => {
    const a = setup();
    a.advance(500);
    a.send('server_error', 10); // bucket 0
    a.advance(9499); // t = 9999: bucket 9, bucket 0 still in the window
    a.send('server_error', 10);
    expect(a.policy.allows(a.t)).toBe(false);

    const b = setup();
    b.advance(500);
    b.send('server_error', 10);
    b.advance(9500); // t = 10000: bucket 10 replaces bucket 0, 9.5 s later
    b.send('server_error', 10);
    expect(b.policy.allows(b.t)).toBe(true);
  });

  it('keeps each target apart', () => {
    const s = setup();
    const other = makeTarget(1);
    s.send('server_error', 20, other);
    expect(s.policy.allows(other)).toBe(false);
    expect(s.policy.allows(s.t)).toBe(true);
  });

  it('refuses for 5 s, then lets exactly one trial through until its outcome; success closes', () => {
    const s = opened();
    s.advance(4999);
    expect(s.policy.allows(s.t)).toBe(false);
    s.advance(1);
    expect(s.policy.allows(s.t)).toBe(true); // the trial is offered
    expect(s.policy.allows(s.t)).toBe(true); // routing went elsewhere (attempts unchanged): offered again
    const sent = makeTarget(0, { attempts: 1 }); // routing sent the trial
    expect(s.policy.allows(sent)).toBe(false);
    s.advance(100);
    expect(s.policy.allows(sent)).toBe(false);
    s.policy.onOutcome!(makeOutcome(sent, { status: 'ok', startMs: 5000 }));
    expect(s.policy.allows(sent)).toBe(true);
    // Closed with a fresh window: 19 errors do not reopen it, the 20th does.
    s.send('server_error', 19, sent);
    expect(s.policy.allows(sent)).toBe(true);
    s.send('server_error', 1, sent);
    expect(s.policy.allows(sent)).toBe(false);
  });

  it('reopens for another 5 s when the trial fails', () => {
    const s = opened();
    s.advance(5000);
    expect(s.policy.allows(s.t)).toBe(true);
    const sent = makeTarget(0, { attempts: 1 });
    s.advance(700);
    s.policy.onOutcome!(makeOutcome(sent, { status: 'server_error', startMs: 5000 }));
    s.advance(4999); // 5000 + 700 + 4999
    expect(s.policy.allows(sent)).toBe(false);
    s.advance(1);
    expect(s.policy.allows(sent)).toBe(true);
  });

  it('ignores outcomes of attempts started before the trial, and re-offers after an inconclusive one', () => {
    const s = opened();
    s.advance(5000);
    expect(s.policy.allows(s.t)).toBe(true);
    const sent = makeTarget(0, { attempts: 1 });
    s.policy.onOutcome!(makeOutcome(sent, { status: 'ok', startMs: 10 })); // older attempt
    s.policy.onOutcome!(makeOutcome(sent, { status: 'server_error', startMs: 4999 }));
    expect(s.policy.allows(sent)).toBe(false); // still waiting for the trial
    s.policy.onOutcome!(makeOutcome(sent, { status: 'cancelled', startMs: 5000 }));
    expect(s.policy.allows(sent)).toBe(true); // inconclusive: a new trial
    expect(s.policy.allows(makeTarget(0, { attempts: 2 }))).toBe(false);
  });
});
