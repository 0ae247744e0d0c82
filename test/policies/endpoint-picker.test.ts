import { describe, expect, it } from 'vitest';
import endpointPicker from '../../policies/endpoint-picker.ts';
import { isRejection, type TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(endpointPicker);
runPolicyContract(endpointPicker, { weights: { queue: 2, prefix: 3 }, prefixLruSize: 4, staleAfterMs: 200 });

type Params = Parameters<typeof endpointPicker.create>[0];

function setup(over: Record<string, unknown> = {}) {
  const { ctx, advance } = fakeContext();
  const policy = endpointPicker.create(endpointPicker.params!.parse(over) as Params, ctx);
  const pick = (targets: TargetView[], req: { prefixId?: number; priority?: number } = {}) => {
    const d = policy.route(makeRequest(req), targets, FIRST_ATTEMPT);
    return isRejection(d) ? d.reject : d.index;
  };
  return { pick, advance };
}

const pod = (i: number, waiting: number, kvUsage: number, atMs = 0) =>
  makeTarget(i, { scraped: { waiting, running: 3, kvUsage, atMs } });

describe('endpoint-picker', () => {
  it('scores (maxQ - q) / (maxQ - minQ) + (1 - kv) and takes the maximum', () => {
    const targets = [pod(0, 10, 0.5), pod(1, 0, 0.9), pod(2, 5, 0.2)];
    // queue 0, 1, 0.5; kv 0.5, 0.1, 0.8 -> 0.5, 1.1, 1.3
    expect(setup().pick(targets)).toBe(2);
    // queue weight 2: 0.5, 2.1, 1.8
    expect(setup({ weights: { queue: 2 } }).pick(targets)).toBe(1);
    // kv weight 0: 0, 1, 0.5
    expect(setup({ weights: { kv: 0 } }).pick(targets)).toBe(1);
  });

  it('gives equal queues the neutral queue score 1, and targets without a scrape 0.5 on queue and kv', () => {
    // t0 unscraped: 0.5 + 0.5 = 1.0; t1: queue 0 + (1 - 0.3) = 0.7; t2: queue 1 + (1 - kv)
    const { pick } = setup();
    expect(pick([makeTarget(0), pod(1, 4, 0.3), pod(2, 0, 0.95)])).toBe(2); // 1.05
    expect(pick([makeTarget(0), pod(1, 4, 0.3), pod(2, 0, 1)])).toBe(0); // 1.0 vs 1.0: tie to the first
    expect(pick([pod(0, 3, 0.6), pod(1, 3, 0.5)])).toBe(1); // 1.4 vs 1.5
  });

  it('adds the prefix weight to the target that was last sent the prefix', () => {
    const { pick } = setup();
    expect(pick([pod(0, 10, 0.5), pod(1, 0, 0.9), pod(2, 5, 0.2)], { prefixId: 7 })).toBe(2); // 1.3
    // Now t2 is the busiest: 0 + 0.5 + prefix 1 = 1.5 beats t0 at 0.5 + 0.8 = 1.3.
    const later = [pod(0, 5, 0.2), pod(1, 0, 0.9), pod(2, 10, 0.5)];
    expect(pick(later, { prefixId: 7 })).toBe(2);
    expect(pick(later, { prefixId: 8 })).toBe(0); // another prefix: no bonus
    expect(setup({ weights: { prefix: 0 } }).pick(later, { prefixId: 7 })).toBe(0);
  });

  it('keeps an LRU of prefixLruSize prefix groups per target', () => {
    const { pick } = setup({ prefixLruSize: 2 });
    const t0 = makeTarget(0); // unscraped: 1.0, 2.0 with the prefix
    const t1 = pod(1, 0, 0.05); // 1 + 0.95 = 1.95
    for (const p of [1, 2, 1, 3]) expect(pick([t0], { prefixId: p })).toBe(0); // LRU: 2 out, then {1, 3}
    expect(pick([t0, t1], { prefixId: 2 })).toBe(1); // evicted
    expect(pick([t0, t1], { prefixId: 1 })).toBe(0); // refreshed before 3 came in
    expect(pick([t0, t1], { prefixId: 3 })).toBe(0);
    expect(pick([t0, t1], { prefixId: -1 })).toBe(1); // no prefix, no bonus
  });

  it('sheds sheddable requests only when every target is saturated (queue >= 5 or kv >= 0.8)', () => {
    const { pick } = setup();
    const saturated = [pod(0, 5, 0), pod(1, 0, 0.8)];
    expect(pick(saturated, { priority: -1 })).toBe('saturated');
    expect(pick(saturated, { priority: 0 })).toBe(1); // not sheddable: 1 + 0.2 vs 0 + 1
    expect(pick([pod(0, 5, 0), pod(1, 4, 0.79)], { priority: -1 })).toBe(1);
    // An unscraped target is not known to be saturated: routed (t1 at 1.2 beats t2 at 1.0), not shed.
    expect(pick([...saturated, makeTarget(2)], { priority: -1 })).toBe(1);
    expect(setup({ queueThreshold: 6 }).pick(saturated, { priority: -1 })).toBe(1);
  });

  it('treats a scrape older than staleAfterMs as none', () => {
    const { pick, advance } = setup({ staleAfterMs: 200 });
    const targets = [makeTarget(0), pod(1, 0, 0.4, 0)]; // 1.0 vs 1.6 while fresh
    advance(200);
    expect(pick(targets)).toBe(1);
    advance(1);
    expect(pick(targets)).toBe(0); // both 0.5 + 0.5: tie to the first
    expect(pick([pod(0, 9, 0.9, 0)], { priority: -1 })).toBe(0); // stale: not known saturated
  });
});
