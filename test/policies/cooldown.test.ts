import { describe, expect, it } from 'vitest';
import cooldown from '../../policies/cooldown.ts';
import {
  fakeContext,
  makeOutcome,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

// runPolicyContract (src/testing) has no health branch: it would call `admit` on a health policy.
runPolicyContract(cooldown);
runPolicyContract(cooldown, { cooldownMs: 60_000, failureShare: 0.2, minRequests: 5 });

type Params = Parameters<typeof cooldown.create>[0];

function setup(over: Partial<Params> = {}) {
  const { ctx, advance } = fakeContext();
  const policy = cooldown.create(cooldown.params!.parse(over), ctx);
  const t = makeTarget(0);
  const send = (status: string, times = 1) => {
    for (let k = 0; k < times; k++) policy.onOutcome!(makeOutcome(t, { status }));
  };
  return { send, advance, allowed: () => policy.allows(t), policy };
}

describe('cooldown', () => {
  it('cools a target down for 5 s when more than half of 2+ requests this minute failed', () => {
    const s = setup();
    s.send('server_error');
    expect(s.allowed()).toBe(true); // one request: never
    s.advance(1);
    s.send('timeout'); // 2 / 2 at t = 1: cooled until 5001
    expect(s.allowed()).toBe(false);
    s.advance(4999);
    expect(s.allowed()).toBe(false);
    s.advance(1);
    expect(s.allowed()).toBe(true);
  });

  it('needs the share strictly above 0.5', () => {
    const s = setup();
    s.send('ok');
    s.send('rate_limited'); // 1 / 2
    expect(s.allowed()).toBe(true);
    s.send('overloaded'); // 2 / 3
    expect(s.allowed()).toBe(false);
  });

  it('counts per calendar minute', () => {
    const a = setup();
    a.send('ok', 3);
    a.advance(59_999);
    a.send('server_error', 2); // 2 / 5 in minute 0
    expect(a.allowed()).toBe(true);

    const b = setup();
    b.send('ok', 3);
    b.advance(60_000);
    b.send('server_error', 2); // 2 / 2 in minute 1
    expect(b.allowed()).toBe(false);
  });

  it('counts neither bad_request nor cancelled attempts; stream_cut is a failure', () => {
    const s = setup();
    s.send('stream_cut');
    s.send('bad_request', 5);
    s.send('cancelled', 5);
    expect(s.allowed()).toBe(true); // still one request
    s.send('ok');
    s.send('stream_cut'); // 2 / 3
    expect(s.allowed()).toBe(false);
  });

  it('cools down again on the next failure while the minute stays bad', () => {
    const s = setup();
    s.send('server_error', 2);
    s.advance(5000);
    expect(s.allowed()).toBe(true);
    s.send('server_error'); // 3 / 3 at t = 5000: until 10000
    s.advance(4999);
    expect(s.allowed()).toBe(false);
    s.advance(1);
    expect(s.allowed()).toBe(true);
  });
});

describe('cooldown: fail closed and jitter', () => {
  it('fails open by default and closed with failOpen: false', () => {
    expect(setup().policy.failOpen).toBe(true);
    expect(setup({ failOpen: false }).policy.failOpen).toBe(false);
  });

  it('draws each cooldown from [(1 - jitter), (1 + jitter)] x cooldownMs, averaging cooldownMs', () => {
    const { ctx, advance } = fakeContext('jitter');
    const policy = cooldown.create(cooldown.params!.parse({ jitter: 0.5 }), ctx);
    const lengths: number[] = [];
    for (let k = 0; k < 200; k++) {
      // A fresh minute per trial, so each trial is two failures out of two.
      advance(60_000);
      const t = makeTarget(k);
      policy.onOutcome!(makeOutcome(t, { status: 'server_error' }));
      policy.onOutcome!(makeOutcome(t, { status: 'server_error' }));
      // The cooldown ends at the first whole millisecond the target is allowed again.
      let ms = 0;
      while (!policy.allows(t)) {
        advance(1);
        ms++;
      }
      lengths.push(ms);
      advance(60_000 - ms);
    }
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(2_500);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(7_501);
    expect(new Set(lengths).size).toBeGreaterThan(100);
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(Math.abs(mean - 5_000)).toBeLessThan(250);
  });

  it('without jitter draws no random numbers', () => {
    const { ctx } = fakeContext();
    let draws = 0;
    const counted = {
      ...ctx,
      random: () => {
        draws++;
        return ctx.random();
      },
    };
    const policy = cooldown.create(cooldown.params!.parse({}), counted);
    const t = makeTarget(0);
    policy.onOutcome!(makeOutcome(t, { status: 'server_error' }));
    policy.onOutcome!(makeOutcome(t, { status: 'server_error' }));
    expect(policy.allows(t)).toBe(false);
    expect(draws).toBe(0);
  });
});
