import { describe, expect, it } from 'vitest';
import leastOutstanding from '../../policies/least-outstanding.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(leastOutstanding);

describe('least-outstanding', () => {
  it('picks the target with the fewest in-flight attempts', () => {
    const policy = leastOutstanding.create({}, fakeContext().ctx);
    const targets = [
      makeTarget(0, { inFlight: 5 }),
      makeTarget(1, { inFlight: 2 }),
      makeTarget(2, { inFlight: 9 }),
    ];
    expect(policy.route(makeRequest(), targets, FIRST_ATTEMPT)).toBe(targets[1]);
  });

  it('breaks ties toward the earliest target', () => {
    const policy = leastOutstanding.create({}, fakeContext().ctx);
    const targets = [
      makeTarget(0, { inFlight: 3 }),
      makeTarget(1, { inFlight: 1 }),
      makeTarget(2, { inFlight: 1 }),
    ];
    expect(policy.route(makeRequest(), targets, FIRST_ATTEMPT)).toBe(targets[1]);
  });
});
