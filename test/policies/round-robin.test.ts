import { describe, expect, it } from 'vitest';
import roundRobin from '../../policies/round-robin.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(roundRobin);

describe('round-robin', () => {
  it('visits targets in order and wraps around', () => {
    const policy = roundRobin.create({}, fakeContext().ctx);
    const targets = [0, 1, 2].map((i) => makeTarget(i));
    const picks = Array.from(
      { length: 7 },
      () => (policy.route(makeRequest(), targets, FIRST_ATTEMPT) as { index: number }).index,
    );
    expect(picks).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });
});
