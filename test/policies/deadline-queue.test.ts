import { describe, expect, it } from 'vitest';
import deadlineQueue from '../../policies/deadline-queue.ts';
import { fakeContext, makeRequest, runPolicyContract } from '../../src/testing/policy-contract.case.ts';

runPolicyContract(deadlineQueue, { limit: 10 });
runPolicyContract(deadlineQueue, { limit: 10, maxWait: 500 });

const late = { reject: 'deadline' };

describe('deadline-queue', () => {
  it('admits under the limit, queues at it, and sheds a head that waited over maxWait', () => {
    const policy = deadlineQueue.create(
      deadlineQueue.params!.parse({ limit: 2, maxWait: 100 }),
      fakeContext().ctx,
    );
    expect(policy.admit(makeRequest(), { inFlight: 1, queued: 0 }, 0)).toBe('admit');
    expect(policy.admit(makeRequest(), { inFlight: 2, queued: 0 }, 0)).toBe('enqueue');
    expect(policy.admit(makeRequest(), { inFlight: 1, queued: 3 }, 100)).toBe('admit');
    expect(policy.admit(makeRequest(), { inFlight: 2, queued: 3 }, 100)).toBe('enqueue');
    expect(policy.admit(makeRequest(), { inFlight: 1, queued: 3 }, 100.5)).toEqual(late);
  });

  it('sheds a request whose deadline has passed, queued or arriving; no maxWait by default', () => {
    const { ctx, advance } = fakeContext();
    const policy = deadlineQueue.create(deadlineQueue.params!.parse({ limit: 2 }), ctx);
    advance(60);
    expect(policy.admit(makeRequest({ deadlineMs: 61 }), { inFlight: 1, queued: 1 }, 1e9)).toBe('admit');
    expect(policy.admit(makeRequest({ deadlineMs: 60 }), { inFlight: 1, queued: 1 }, 10)).toEqual(late);
    expect(policy.admit(makeRequest({ deadlineMs: 50 }), { inFlight: 0, queued: 0 }, 0)).toEqual(late);
    expect(policy.admit(makeRequest({ deadlineMs: 50 }), { inFlight: 5, queued: 0 }, 0)).toEqual(late);
  });
});
