import { describe, expect, it } from 'vitest';
import gradient from '../../policies/gradient.ts';
import type { AdmissionPolicy } from '../../src/gateway/policy.ts';
import {
  admittedLimit,
  fakeContext,
  limiterSample,
  makeRequest,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(gradient);
runPolicyContract(gradient, { initialLimit: 5, minLimit: 2, maxLimit: 50, probeInterval: 3, queue: true });
runPolicyContract(gradient, { queueSize: 2, probeInterval: -1, rtt: 'per-token' });

const limitOf = admittedLimit;

/** A GradientLimit whose probe countdown is exactly probeInterval (random() = 0). */
function make(params: Record<string, unknown> = {}): AdmissionPolicy {
  const { ctx } = fakeContext();
  return gradient.create(gradient.params!.parse(params), { ...ctx, random: () => 0 });
}

const sample = limiterSample;

/**
 * Netflix concurrency-limits has no GradientLimitTest (none in its history up to commit 78a74b9,
 * 2026-01-12): these sequences follow GradientLimit._update at that commit, numbers worked by hand.
 */
describe('gradient (Netflix GradientLimit)', () => {
  it('applies L = L x clamp(2 rttNoLoad / rtt, 0.5, 1) + max(4, sqrt L), smoothing decreases by 0.2', () => {
    const policy = make();
    expect(limitOf(policy)).toBe(50);
    policy.onOutcome!(sample(100, 50)); // rttNoLoad 100, g 1: 50 + max(4, 7)
    expect(limitOf(policy)).toBe(57);
    policy.onOutcome!(sample(300, 57)); // g 2/3: 38 + 7 = 45 < 57: 0.8 x 57 + 0.2 x 45 = 54.6
    expect(limitOf(policy)).toBe(54);
    policy.onOutcome!(sample(1000, 54)); // g 0.5: 27.3 + 7 = 34.3: 0.8 x 54.6 + 0.2 x 34.3 = 50.54
    expect(limitOf(policy)).toBe(50);
    policy.onOutcome!(sample(100, 50, 'timeout')); // drop: 0.9 L = 45.486, smoothed 49.53
    expect(limitOf(policy)).toBe(49);
    policy.onOutcome!(sample(100, 20)); // 20 < L / 2: app-limited, keep
    expect(limitOf(policy)).toBe(49);
    policy.onOutcome!(sample(150, 49)); // g = min(1, 200/150): 49.53 + 7 (an increase is not smoothed)
    expect(limitOf(policy)).toBe(56);
    for (const status of ['cancelled', 'stream_cut', 'bad_request']) policy.onOutcome!(sample(1, 56, status));
    expect(limitOf(policy)).toBe(56);
  });

  it('probes every probeInterval samples: L restarts at max(minLimit, queueSize), rttNoLoad forgotten', () => {
    const policy = make({ initialLimit: 10, queueSize: 2, probeInterval: 3 });
    for (const expected of [12, 14, 16]) {
      policy.onOutcome!(sample(100, 10));
      expect(limitOf(policy)).toBe(expected);
    }
    policy.onOutcome!(sample(100, 12)); // the countdown reaches 0: L = 2
    expect(limitOf(policy)).toBe(2);
    policy.onOutcome!(sample(200, 12)); // new rttNoLoad 200, g 1: 2 + 2
    expect(limitOf(policy)).toBe(4);
    policy.onOutcome!(sample(150, 12)); // a lower minimum, g 1: 4 + 2
    expect(limitOf(policy)).toBe(6);
  });

  it('keeps L within [minLimit, maxLimit] but never below the queue size (even above maxLimit, as Netflix)', () => {
    const floor = make({ initialLimit: 40, minLimit: 30, smoothing: 1, queueSize: 0, probeInterval: -1 });
    floor.onOutcome!(sample(100, 40));
    expect(limitOf(floor)).toBe(40);
    floor.onOutcome!(sample(1000, 40)); // g 0.5: 20, held at minLimit
    expect(limitOf(floor)).toBe(30);

    const capped = make({ initialLimit: 10, maxLimit: 3, probeInterval: -1 });
    capped.onOutcome!(sample(100, 10)); // max(q = 4, min(3, 14))
    expect(limitOf(capped)).toBe(4);
  });

  it('reads queueSize as a named function, sheds or queues over the limit', () => {
    const policy = make({ initialLimit: 100, queueSize: { fn: 'log10', times: 3 }, probeInterval: -1 });
    policy.onOutcome!(sample(100, 100)); // 100 + 3 x 2
    expect(limitOf(policy)).toBe(106);
    expect(policy.admit(makeRequest(), { inFlight: 106, queued: 0 }, 0)).toEqual({ reject: 'over-limit' });
    expect(make({ queue: true }).admit(makeRequest(), { inFlight: 50, queued: 0 }, 0)).toBe('enqueue');
  });

  it("refuses parameters Netflix's builder refuses", () => {
    expect(() => gradient.params!.parse({ rttTolerance: 0.9 })).toThrow();
    expect(() => gradient.params!.parse({ backoffRatio: 0.4 })).toThrow();
    expect(() => gradient.params!.parse({ probeInterval: 0 })).toThrow();
    expect(() => gradient.params!.parse({ minLimit: 10, maxLimit: 5 })).toThrow();
  });
});
