import { describe, expect, it } from 'vitest';
import random from '../../policies/random.ts';
import { isRejection } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(random);
runPolicyContract(random, { weights: { t0: 1, t1: 3 } });

describe('random', () => {
  it('spreads picks uniformly without weights', () => {
    const policy = random.create({}, fakeContext('u').ctx);
    const targets = [0, 1, 2, 3].map((i) => makeTarget(i));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++)
      counts[(policy.route(makeRequest(), targets, FIRST_ATTEMPT) as { index: number }).index]!++;
    // Binomial sd = sqrt(40000 x 0.25 x 0.75) = 87; allow 5 sd.
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(435);
  });

  it('picks in proportion to weights and never a zero-weight target', () => {
    const policy = random.create({ weights: { t0: 1, t1: 3, t2: 0 } }, fakeContext('w').ctx);
    const targets = [0, 1, 2].map((i) => makeTarget(i));
    const counts = [0, 0, 0];
    for (let i = 0; i < 40_000; i++)
      counts[(policy.route(makeRequest(), targets, FIRST_ATTEMPT) as { index: number }).index]!++;
    expect(counts[2]).toBe(0);
    expect(Math.abs(counts[1]! - 30_000)).toBeLessThan(435);
  });

  it('rejects when every target has zero weight', () => {
    const policy = random.create({ weights: {} }, fakeContext().ctx);
    expect(isRejection(policy.route(makeRequest(), [makeTarget(0)], FIRST_ATTEMPT))).toBe(true);
  });
});
