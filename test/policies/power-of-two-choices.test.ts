import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import p2c from '../../policies/power-of-two-choices.ts';
import type { TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(p2c);
runPolicyContract(p2c, { signal: 'scraped-queue' });

const pick = (policy: ReturnType<typeof p2c.create>, targets: TargetView[]) =>
  (policy.route(makeRequest(), targets, FIRST_ATTEMPT) as TargetView).index;

describe('power-of-two-choices', () => {
  it('samples two distinct targets from its stream and keeps the less loaded', () => {
    const policy = p2c.create({ signal: 'in-flight' }, fakeContext('p2c').ctx);
    const loads = [3, 1, 4, 1, 5];
    const targets = loads.map((inFlight, i) => makeTarget(i, { inFlight }));
    // The same stream, replayed: i = floor(u n), j = floor(u (n - 1)) skipping i.
    const u = seedrandom.alea('p2c');
    for (let r = 0; r < 500; r++) {
      const i = Math.floor(u() * 5);
      let j = Math.floor(u() * 4);
      if (j >= i) j++;
      const expected = loads[j]! < loads[i]! ? j : i; // tie: the first sampled
      expect(pick(policy, targets)).toBe(expected);
    }
  });

  it('picks the k-th least loaded of n with probability 2 (n - k) / (n (n - 1))', () => {
    const policy = p2c.create({ signal: 'in-flight' }, fakeContext('dist').ctx);
    const targets = [2, 0, 3, 1].map((inFlight, i) => makeTarget(i, { inFlight }));
    const counts = [0, 0, 0, 0];
    const N = 60_000;
    for (let r = 0; r < N; r++) counts[pick(policy, targets)]!++;
    // n = 4: ranks 1..4 get 6/12, 4/12, 2/12, 0 (target 1 has 0 in flight, then 3, 0, 2).
    expect(counts[2]).toBe(0);
    const expected = [N * (2 / 12), N * (6 / 12), 0, N * (4 / 12)];
    for (const i of [0, 1, 3]) {
      const p = expected[i]! / N;
      expect(Math.abs(counts[i]! - expected[i]!)).toBeLessThan(5 * Math.sqrt(N * p * (1 - p)));
    }
  });

  it('with two targets always takes the less loaded; on a tie, the first sampled', () => {
    const policy = p2c.create({ signal: 'in-flight' }, fakeContext('two').ctx);
    const uneven = [makeTarget(0, { inFlight: 7 }), makeTarget(1, { inFlight: 6 })];
    for (let r = 0; r < 50; r++) expect(pick(policy, uneven)).toBe(1);
    const even = [makeTarget(0, { inFlight: 2 }), makeTarget(1, { inFlight: 2 })];
    const u = seedrandom.alea('two');
    for (let r = 0; r < 50; r++) {
      u();
      u(); // the 50 uneven calls
    }
    for (let r = 0; r < 50; r++) {
      const first = Math.floor(u() * 2);
      u();
      expect(pick(policy, even)).toBe(first);
    }
  });

  it('compares scraped waiting + running with signal scraped-queue, in-flight without a scrape', () => {
    const scraped = (waiting: number, running: number) => ({ waiting, running, kvUsage: 0.1, atMs: 0 });
    const a = makeTarget(0, { inFlight: 0, scraped: scraped(6, 4) }); // load 10
    const b = makeTarget(1, { inFlight: 50, scraped: scraped(2, 7) }); // load 9
    const c = makeTarget(2, { inFlight: 9 }); // no scrape: load 9 (in flight)
    const byQueue = p2c.create({ signal: 'scraped-queue' }, fakeContext().ctx);
    const byInFlight = p2c.create({ signal: 'in-flight' }, fakeContext().ctx);
    for (let r = 0; r < 20; r++) {
      expect(pick(byQueue, [a, b])).toBe(1);
      expect(pick(byInFlight, [a, b])).toBe(0);
      expect(pick(byQueue, [a, c])).toBe(2);
    }
  });

  it('returns the only target without drawing', () => {
    const policy = p2c.create({ signal: 'in-flight' }, fakeContext().ctx);
    const only = makeTarget(0, { inFlight: 100 });
    expect(policy.route(makeRequest(), [only], FIRST_ATTEMPT)).toBe(only);
  });
});
