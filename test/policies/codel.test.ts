import { describe, expect, it } from 'vitest';
import codel from '../../policies/codel.ts';
import { fakeContext, makeRequest, runPolicyContract } from '../../src/testing/policy-contract.case.ts';

runPolicyContract(codel, { limit: 10 });
runPolicyContract(codel, { limit: 10, target: 10, interval: 200, variant: 'adaptive-lifo' });

const shed = { reject: 'codel' };

function setup(params: Record<string, unknown>) {
  const { ctx, advance } = fakeContext();
  const policy = codel.create(codel.params!.parse(params), ctx);
  /** Offers a request at absolute time `at` (ms) with a free slot. */
  const offer = (at: number, waited: number, queued = 3) => {
    advance(at - ctx.now());
    return policy.admit(makeRequest(), { inFlight: 0, queued }, waited);
  };
  const full = (queued: number) => policy.admit(makeRequest(), { inFlight: 1, queued }, 0);
  return { offer, full };
}

describe('codel (RFC 8289)', () => {
  it('queues at the limit and drops on the control law once delay stayed above target for an interval', () => {
    const { offer, full } = setup({ limit: 1 });
    expect(full(0)).toBe('enqueue');
    expect(offer(10, 10)).toBe('admit'); // above target: first_above_time = 110
    expect(offer(50, 20)).toBe('admit');
    expect(offer(110, 20)).toEqual(shed); // an interval above target: drop, count 1, next at 210
    expect(offer(110, 30)).toBe('admit'); // dropping, but not before drop_next
    expect(offer(210, 10)).toEqual(shed); // count 2, next at 210 + 100 / sqrt 2 = 280.7
    expect(offer(250, 10)).toBe('admit');
    expect(offer(280, 10)).toBe('admit');
    expect(offer(281, 10)).toEqual(shed); // count 3, next at 280.7 + 100 / sqrt 3 = 338.5
    expect(offer(300, 2)).toBe('admit'); // below target: leave the dropping state
    expect(offer(310, 10)).toBe('admit'); // first_above_time = 410
    expect(offer(409, 10)).toBe('admit');
    // Re-entering within 16 intervals resumes at count - lastcount = 3 - 1 = 2: next at 410 + 70.7.
    expect(offer(410, 10)).toEqual(shed);
    expect(offer(480, 10)).toBe('admit');
    expect(offer(481, 10)).toEqual(shed);
  });

  it('does not drop when at most one request would remain queued, nor an arrival to an empty queue', () => {
    const { offer } = setup({ limit: 1 });
    expect(offer(0, 50)).toBe('admit'); // first_above_time = 100
    expect(offer(99, 50, 2)).toBe('admit'); // head + 1 behind: resets first_above_time
    expect(offer(100, 50)).toBe('admit'); // first_above_time = 200
    expect(offer(199, 0, 0)).toBe('admit'); // an arrival to an empty queue also resets it
    expect(offer(200, 50)).toBe('admit'); // first_above_time = 300
    expect(offer(299, 50)).toBe('admit');
    expect(offer(300, 50)).toEqual(shed);
  });

  it('takes target and interval as params', () => {
    const { offer } = setup({ limit: 1, target: 20, interval: 50 });
    expect(offer(0, 19)).toBe('admit');
    expect(offer(100, 19)).toBe('admit');
    expect(offer(200, 20)).toBe('admit'); // first_above_time = 250
    expect(offer(250, 20)).toEqual(shed);
    expect(offer(250, 20)).toBe('admit'); // next drop at 300
    expect(offer(300, 20)).toEqual(shed);
  });
});

describe('codel (adaptive-lifo, Facebook)', () => {
  it('times out queued requests after 5 ms once the queue has not been empty for 100 ms, else 100 ms', () => {
    const { offer, full } = setup({ limit: 1, variant: 'adaptive-lifo' });
    expect(full(0)).toBe('enqueue'); // t = 0: the queue becomes non-empty
    expect(offer(50, 50)).toBe('admit'); // joined at 0, queue empty just before: timeout 100
    expect(offer(99, 99)).toBe('admit');
    expect(offer(150, 101)).toEqual(shed); // joined at 49: timeout 100, exceeded
    expect(offer(150, 20)).toEqual(shed); // joined at 130, queue busy since 0: timeout 5
    expect(offer(150, 5)).toBe('admit'); // exactly the timeout: kept
    expect(offer(200, 0, 0)).toBe('admit'); // the queue emptied; an arrival passes through
    expect(full(0)).toBe('enqueue'); // t = 200: non-empty again
    expect(full(1)).toBe('enqueue'); // still the same busy spell
    expect(offer(260, 50)).toBe('admit'); // joined at 210, 10 ms into the spell: timeout 100
    expect(offer(400, 90)).toEqual(shed); // joined at 310, 110 ms into it: timeout 5
  });

  it('scales with target and interval', () => {
    const { offer, full } = setup({ limit: 1, variant: 'adaptive-lifo', target: 10, interval: 200 });
    expect(full(0)).toBe('enqueue');
    expect(offer(300, 200)).toBe('admit'); // joined at 100: timeout 200
    expect(offer(300, 10)).toBe('admit'); // joined at 290: timeout 10
    expect(offer(300, 11)).toEqual(shed);
  });
});
