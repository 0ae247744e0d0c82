import { describe, expect, it } from 'vitest';
import aimd from '../../policies/aimd.ts';
import {
  admittedLimit,
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(aimd);
runPolicyContract(aimd, { initialLimit: 5, minLimit: 1, maxLimit: 10, queue: true, rtt: 'ttft' });

const limitOf = admittedLimit;

const t = makeTarget(0);
const ok = (inFlightAtStart: number, latencyMs = 100) => makeOutcome(t, { inFlightAtStart, latencyMs });
const failed = (status: string) => makeOutcome(t, { status, inFlightAtStart: 50 });

describe('aimd (Netflix AIMDLimit)', () => {
  it('starts at 20 and sheds over the limit', () => {
    const policy = aimd.create(aimd.params!.parse({}), fakeContext().ctx);
    expect(limitOf(policy)).toBe(20);
    expect(policy.admit(makeRequest(), { inFlight: 20, queued: 0 }, 0)).toEqual({ reject: 'over-limit' });
  });

  it('adds 1 per sample while inflight x 2 >= L, and backs off to floor(0.9 L) on a drop', () => {
    const policy = aimd.create(aimd.params!.parse({}), fakeContext().ctx);
    policy.onOutcome!(ok(9)); // 18 < 20: app-limited, no growth
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(ok(10)); // 20 >= 20
    expect(limitOf(policy)).toBe(21);
    for (let i = 0; i < 9; i++) policy.onOutcome!(ok(15));
    expect(limitOf(policy)).toBe(30);
    policy.onOutcome!(failed('overloaded')); // floor(27.0)
    expect(limitOf(policy)).toBe(27);
    policy.onOutcome!(failed('timeout')); // floor(24.3)
    expect(limitOf(policy)).toBe(24);
    policy.onOutcome!(failed('rate_limited')); // floor(21.6)
    expect(limitOf(policy)).toBe(21);
    policy.onOutcome!(failed('server_error')); // floor(18.9) -> min 20
    expect(limitOf(policy)).toBe(20);
  });

  it('counts an RTT over the timeout as a drop, ignores cancelled/cut/bad-request, caps at max', () => {
    const policy = aimd.create(aimd.params!.parse({ initialLimit: 100, maxLimit: 101 }), fakeContext().ctx);
    policy.onOutcome!(ok(100, 5001)); // floor(90)
    expect(limitOf(policy)).toBe(90);
    policy.onOutcome!(ok(100, 5000)); // not over: +1
    expect(limitOf(policy)).toBe(91);
    for (const status of ['cancelled', 'stream_cut', 'bad_request']) policy.onOutcome!(failed(status));
    expect(limitOf(policy)).toBe(91);
    for (let i = 0; i < 20; i++) policy.onOutcome!(ok(100));
    expect(limitOf(policy)).toBe(101);
  });

  it('uses TTFT as the RTT with rtt: ttft, and queues with queue: true', () => {
    const policy = aimd.create(
      aimd.params!.parse({ initialLimit: 50, timeout: 1000, rtt: 'ttft', queue: true }),
      fakeContext().ctx,
    );
    policy.onOutcome!(makeOutcome(t, { inFlightAtStart: 50, latencyMs: 30_000, ttftMs: 400 }));
    expect(limitOf(policy)).toBe(51);
    policy.onOutcome!(makeOutcome(t, { inFlightAtStart: 50, latencyMs: 3000, ttftMs: 1500 }));
    expect(limitOf(policy)).toBe(45);
    expect(policy.admit(makeRequest(), { inFlight: 45, queued: 0 }, 0)).toBe('enqueue');
  });
});

/**
 * Netflix concurrency-limits AIMDLimitTest (concurrency-limits-core, commit 78a74b9, 2026-01-12),
 * one block per source test; `onSample(0, rtt, inflight, didDrop)` is an outcome with that
 * latency (ms) and inFlightAtStart, a drop being an overloaded answer.
 */
describe('aimd: Netflix AIMDLimitTest', () => {
  const make = (params: Record<string, unknown>) =>
    aimd.create(aimd.params!.parse(params), fakeContext().ctx);

  it('testDefault', () => {
    expect(limitOf(make({ initialLimit: 10 }))).toBe(10); // below minLimit 20: not clamped until a sample
  });

  it('increaseOnSuccess', () => {
    const policy = make({ initialLimit: 20 });
    policy.onOutcome!(ok(10, 1));
    expect(limitOf(policy)).toBe(21);
  });

  it('decreaseOnDrops', () => {
    const policy = make({ initialLimit: 30 });
    policy.onOutcome!(makeOutcome(t, { status: 'overloaded', latencyMs: 0, inFlightAtStart: 0 }));
    expect(limitOf(policy)).toBe(27);
  });

  it('successOverflow (minLimit 0, which the schema accepts as Netflix does)', () => {
    const policy = make({ initialLimit: 21, maxLimit: 21, minLimit: 0 });
    policy.onOutcome!(ok(10, 1));
    expect(limitOf(policy)).toBe(21); // after success the limit is still at the max
  });
});

describe('aimd: minLimit 0', () => {
  it('is accepted and lets the limit back off to 0, where it admits nothing', () => {
    const policy = aimd.create(
      aimd.params!.parse({ initialLimit: 1, minLimit: 0, maxLimit: 10 }),
      fakeContext().ctx,
    );
    expect(limitOf(policy)).toBe(1);
    policy.onOutcome!(failed('timeout')); // floor(0.9) = 0, no longer clamped to 1
    expect(limitOf(policy)).toBe(0);
    expect(policy.admit(makeRequest(), { inFlight: 0, queued: 0 }, 0)).toEqual({ reject: 'over-limit' });
    expect(() => aimd.params!.parse({ minLimit: -1 })).toThrow();
  });
});

describe('aimd: rtt per-token', () => {
  it('compares latency / output tokens with the timeout', () => {
    const policy = aimd.create(
      aimd.params!.parse({ initialLimit: 50, timeout: 20, rtt: 'per-token' }),
      fakeContext().ctx,
    );
    policy.onOutcome!(makeOutcome(t, { inFlightAtStart: 50, latencyMs: 10_000, outputTokens: 1000 })); // 10 ms/token
    expect(limitOf(policy)).toBe(51);
    policy.onOutcome!(makeOutcome(t, { inFlightAtStart: 50, latencyMs: 3000, outputTokens: 100 })); // 30 > 20
    expect(limitOf(policy)).toBe(45);
  });
});
