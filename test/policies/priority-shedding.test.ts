import { describe, expect, it } from 'vitest';
import prioritySheddingPolicy from '../../policies/priority-shedding.ts';
import type { AdmissionPolicy } from '../../src/gateway/policy.ts';
import {
  admittedLimit,
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(prioritySheddingPolicy, { limit: 100 });
runPolicyContract(prioritySheddingPolicy, { limit: 10, low: 0.2, normal: 0.5, high: 0.9 });
runPolicyContract(prioritySheddingPolicy, {
  limit: 40,
  adaptive: { minLimit: 10, maxLimit: 60, rtt: 'ttft' },
});

/** The smallest in-flight count at which a request of `priority` is not admitted. */
const capOf = (policy: AdmissionPolicy, priority: number) => admittedLimit(policy, makeRequest({ priority }));

describe('priority-shedding', () => {
  it('admits priority < 0 below 0.5 limit, 0 below 0.8 limit, > 0 up to the limit', () => {
    const policy = prioritySheddingPolicy.create(
      prioritySheddingPolicy.params!.parse({ limit: 10 }),
      fakeContext().ctx,
    );
    expect(capOf(policy, -3)).toBe(5);
    expect(capOf(policy, -1)).toBe(5);
    expect(capOf(policy, 0)).toBe(8);
    expect(capOf(policy, 1)).toBe(10);
    expect(capOf(policy, 7)).toBe(10);
    expect(policy.admit(makeRequest({ priority: -1 }), { inFlight: 5, queued: 0 }, 0)).toEqual({
      reject: 'priority-shed',
    });
  });

  it('takes the shares as params (fractional caps round up to the next whole request)', () => {
    const policy = prioritySheddingPolicy.create(
      prioritySheddingPolicy.params!.parse({ limit: 7, low: 0.3, normal: 0.5, high: 0.9 }),
      fakeContext().ctx,
    );
    expect(capOf(policy, -1)).toBe(3); // 2.1
    expect(capOf(policy, 0)).toBe(4); // 3.5
    expect(capOf(policy, 1)).toBe(7); // 6.3
  });

  it('partitions an AIMD limit: the shares follow the limit as it grows and backs off', () => {
    const policy = prioritySheddingPolicy.create(
      prioritySheddingPolicy.params!.parse({ limit: 20, adaptive: { minLimit: 10, maxLimit: 40 } }),
      fakeContext().ctx,
    );
    const t = makeTarget(0);
    expect([capOf(policy, -1), capOf(policy, 0), capOf(policy, 1)]).toEqual([10, 16, 20]);
    // +1 per sample while in-flight x 2 >= L: 20 -> 30.
    for (let i = 0; i < 10; i++) policy.onOutcome!(makeOutcome(t, { inFlightAtStart: 15, latencyMs: 100 }));
    expect([capOf(policy, -1), capOf(policy, 0), capOf(policy, 1)]).toEqual([15, 24, 30]);
    // A drop: floor(0.9 x 30) = 27; an RTT over the 5 s timeout: floor(24.3) = 24.
    policy.onOutcome!(makeOutcome(t, { status: 'overloaded', inFlightAtStart: 20 }));
    policy.onOutcome!(makeOutcome(t, { inFlightAtStart: 20, latencyMs: 5001 }));
    expect(capOf(policy, 1)).toBe(24);
    expect(capOf(policy, -1)).toBe(12);
    // Never below minLimit.
    for (let i = 0; i < 20; i++)
      policy.onOutcome!(makeOutcome(t, { status: 'timeout', inFlightAtStart: 20 }));
    expect(capOf(policy, 1)).toBe(10);
  });

  it('keeps a static limit without `adaptive` (outcomes change nothing)', () => {
    const policy = prioritySheddingPolicy.create(
      prioritySheddingPolicy.params!.parse({ limit: 10 }),
      fakeContext().ctx,
    );
    expect(policy.onOutcome).toBeUndefined();
  });
});
