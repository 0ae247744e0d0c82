import { describe, expect, it } from 'vitest';
import prefixAffinity from '../../policies/prefix-affinity.ts';
import type { TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(prefixAffinity);
runPolicyContract(prefixAffinity, { maxImbalance: 0 });

function setup(maxImbalance = 8) {
  const policy = prefixAffinity.create({ maxImbalance }, fakeContext().ctx);
  return (targets: readonly TargetView[], prefixId: number) =>
    (policy.route(makeRequest({ prefixId }), targets, FIRST_ATTEMPT) as TargetView).index;
}

const five = [0, 1, 2, 3, 4].map((i) => makeTarget(i));

describe('prefix-affinity', () => {
  it('sends a prefix to the same target every time, spreading prefixes evenly', () => {
    const pick = setup();
    const counts = [0, 0, 0, 0, 0];
    for (let p = 0; p < 5000; p++) {
      const first = pick(five, p);
      expect(pick(five, p)).toBe(first);
      counts[first]!++;
    }
    // Binomial(5000, 0.2): sd 28; allow 5 sd.
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(142);
  });

  it('keys on target names, not positions, and moves only the prefixes of a removed target', () => {
    const pick = setup();
    const reversed = [...five].reverse();
    let moved = 0;
    let onRemoved = 0;
    for (let p = 0; p < 2000; p++) {
      const home = pick(five, p);
      expect(pick(reversed, p)).toBe(home);
      const without = five.filter((t) => t.index !== 2);
      const after = pick(without, p);
      if (home === 2) onRemoved++;
      if (after !== home) moved++;
    }
    expect(moved).toBe(onRemoved);
    expect(onRemoved).toBeGreaterThan(0);
  });

  it('falls back to the least in-flight target when the affine one is more than maxImbalance above it', () => {
    const pick = setup();
    const home = pick(five, 42);
    const least = home === 0 ? 1 : 0; // the first target other than home, all others idle
    const withLoad = (homeLoad: number, floor: number) =>
      five.map((t) => makeTarget(t.index, { inFlight: t.index === home ? homeLoad : floor }));
    expect(pick(withLoad(8, 0), 42)).toBe(home); // 8 above: within the bound
    expect(pick(withLoad(9, 0), 42)).toBe(least); // 9 above: past it
    expect(pick(withLoad(12, 4), 42)).toBe(home); // imbalance is relative: 12 - 4 = 8
    expect(pick(withLoad(13, 4), 42)).toBe(least);
    const strict = setup(0);
    expect(strict(withLoad(1, 0), 42)).toBe(least);
    expect(strict(withLoad(3, 3), 42)).toBe(home);
  });

  it('sends requests without a prefix to the least in-flight target, ties to the first', () => {
    const pick = setup();
    const loads = [4, 2, 7, 2, 3].map((inFlight, i) => makeTarget(i, { inFlight }));
    expect(pick(loads, -1)).toBe(1);
  });
});
