import { describe, expect, it } from 'vitest';
import outlierEjection from '../../policies/outlier-ejection.ts';
import {
  fakeContext,
  makeOutcome,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

// runPolicyContract (src/testing) has no health branch: it would call `admit` on a health policy.
runPolicyContract(outlierEjection);
runPolicyContract(outlierEjection, { consecutive5xx: 1, maxEjectionPercent: 100, baseEjectionMs: 50 });

type Params = Parameters<typeof outlierEjection.create>[0];

function setup(targetCount: number, over: Partial<Params> = {}) {
  const { ctx, advance } = fakeContext();
  const policy = outlierEjection.create(outlierEjection.params!.parse(over), ctx);
  const targets = Array.from({ length: targetCount }, (_, i) => makeTarget(i));
  for (const t of targets) policy.allows(t); // the policy learns the targets as routing asks
  const send = (i: number, status: string, times = 1) => {
    for (let k = 0; k < times; k++) policy.onOutcome!(makeOutcome(targets[i]!, { status }));
  };
  const allowed = (i: number) => policy.allows(targets[i]!);
  return { send, allowed, advance };
}

describe('outlier-ejection', () => {
  it('ejects after 5 consecutive server errors for 30 s, then 60 s, 90 s...', () => {
    const s = setup(10);
    s.send(0, 'server_error', 2);
    s.send(0, 'overloaded');
    s.send(0, 'timeout');
    expect(s.allowed(0)).toBe(true); // 4
    s.send(0, 'server_error'); // 5: ejected at t = 0 for 30 s
    expect(s.allowed(0)).toBe(false);
    s.advance(29_999);
    expect(s.allowed(0)).toBe(false);
    s.advance(1);
    expect(s.allowed(0)).toBe(true);
    s.send(0, 'server_error', 5); // second ejection at t = 30 s: 60 s
    s.advance(59_999);
    expect(s.allowed(0)).toBe(false);
    s.advance(1);
    expect(s.allowed(0)).toBe(true);
    s.send(0, 'server_error', 5); // third: 90 s
    s.advance(89_999);
    expect(s.allowed(0)).toBe(false);
    s.advance(1);
    expect(s.allowed(0)).toBe(true);
  });

  it('caps the ejection at maxEjectionMs', () => {
    const s = setup(1, { maxEjectionMs: 70_000 });
    for (const duration of [30_000, 60_000, 70_000, 70_000]) {
      s.send(0, 'server_error', 5);
      s.advance(duration - 1);
      expect(s.allowed(0)).toBe(false);
      s.advance(1);
      expect(s.allowed(0)).toBe(true);
    }
  });

  it('resets the count on any other answer but stream_cut and cancelled', () => {
    for (const reset of ['ok', 'rate_limited', 'bad_request']) {
      const s = setup(10);
      s.send(0, 'server_error', 4);
      s.send(0, reset);
      s.send(0, 'server_error', 4);
      expect(s.allowed(0)).toBe(true);
      s.send(0, 'server_error');
      expect(s.allowed(0)).toBe(false);
    }
    for (const neutral of ['stream_cut', 'cancelled']) {
      const s = setup(10);
      s.send(0, 'server_error', 4);
      s.send(0, neutral);
      s.send(0, 'server_error');
      expect(s.allowed(0)).toBe(false);
    }
  });

  it('ejects only while fewer than 10% of targets are ejected (always the first)', () => {
    const three = setup(3); // 0 / 3 < 10%: yes; 1 / 3 = 33%: no
    three.send(0, 'server_error', 5);
    three.send(1, 'server_error', 5);
    expect([three.allowed(0), three.allowed(1)]).toEqual([false, true]);

    const twenty = setup(20); // 0%, 5%: yes; 10%: no
    for (const i of [0, 1, 2]) twenty.send(i, 'server_error', 5);
    expect([0, 1, 2].map(twenty.allowed)).toEqual([false, false, true]);

    // A refused ejection still resets the count: after t0 returns, t1 needs 5 more.
    const ten = setup(10);
    ten.send(0, 'server_error', 5);
    ten.send(1, 'server_error', 5); // 10% already ejected: refused
    ten.advance(30_000);
    ten.send(1, 'server_error', 4);
    expect(ten.allowed(1)).toBe(true);
    ten.send(1, 'server_error');
    expect(ten.allowed(1)).toBe(false);
  });

  it('ignores outcomes that arrive while the target is ejected', () => {
    const s = setup(10);
    s.send(0, 'server_error', 5);
    s.send(0, 'server_error', 4); // late answers of attempts sent before the ejection
    s.advance(30_000);
    s.send(0, 'server_error');
    expect(s.allowed(0)).toBe(true); // count restarted at 0
  });
});
