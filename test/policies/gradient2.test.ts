import { describe, expect, it } from 'vitest';
import gradient2 from '../../policies/gradient2.ts';
import { expAvgMeasurement } from '../../src/gateway/gradient2-limit.ts';
import {
  admittedLimit,
  fakeContext,
  limiterSample,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(gradient2);
runPolicyContract(gradient2, { initialLimit: 5, minLimit: 1, maxLimit: 50, longWindow: 10, queue: true });

const limitOf = admittedLimit;

const make = (params: Record<string, unknown> = {}) =>
  gradient2.create(gradient2.params!.parse(params), fakeContext().ctx);
const t = makeTarget(0);
const sample = limiterSample;

describe('gradient2 (Netflix Gradient2Limit)', () => {
  it('applies L = 0.8 L + 0.2 (L x clamp(1.5 longRtt / rtt, 0.5, 1) + 4) with the defaults', () => {
    const policy = make();
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(sample(100, 20)); // long 100, g 1: 0.8 x 20 + 0.2 x 24 = 20.8
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(sample(100, 20)); // 21.6
    expect(limitOf(policy)).toBe(21);
    policy.onOutcome!(sample(400, 20)); // long = mean(100, 100, 400) = 200, g 0.75: 21.32
    expect(limitOf(policy)).toBe(21);
    policy.onOutcome!(sample(1000, 20)); // long 400, g 0.6: 20.4144
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(sample(10_000, 10)); // 10 < 20.41 / 2: app-limited, keep
    expect(limitOf(policy)).toBe(20);
    // Drops are RTT samples too (Gradient2 ignores the drop flag); cancelled etc. are not.
    for (const status of ['cancelled', 'stream_cut', 'bad_request']) policy.onOutcome!(sample(1, 20, status));
    expect(limitOf(policy)).toBe(20);
  });

  it('clamps to [minLimit, maxLimit] and the gradient at 0.5', () => {
    const low = make();
    for (let i = 0; i < 9; i++) low.onOutcome!(sample(1, 0)); // warm-up mean 1, app-limited
    low.onOutcome!(sample(1000, 20)); // long 100.9, g 0.5: 0.8 x 20 + 0.2 x 14 = 18.8 -> 20
    expect(limitOf(low)).toBe(20);

    const steep = make({ initialLimit: 100, smoothing: 1 });
    for (let i = 0; i < 9; i++) steep.onOutcome!(sample(1, 0));
    steep.onOutcome!(sample(1000, 100)); // g 0.5: 100 x 0.5 + 4
    expect(limitOf(steep)).toBe(54);

    const high = make({ initialLimit: 199 });
    high.onOutcome!(sample(100, 199)); // 199.8
    high.onOutcome!(sample(100, 199)); // 200.6 -> 200
    expect(limitOf(high)).toBe(200);
  });

  it('averages the first 10 samples, then takes an EMA over longWindow, with the 2x drift correction', () => {
    // longWindow 9: EMA factor 2 / 10 = 0.2; smoothing 1 so L' is the new limit.
    const policy = make({ initialLimit: 100, maxLimit: 200, longWindow: 9, smoothing: 1 });
    for (let i = 0; i < 10; i++) policy.onOutcome!(sample(100, 0)); // long 100
    policy.onOutcome!(sample(40, 0)); // long 0.8 x 100 + 0.2 x 40 = 88; 88 / 40 > 2: long = 83.6
    policy.onOutcome!(sample(150, 100)); // long 0.8 x 83.6 + 30 = 96.88; g = 0.9688: L = 96.88 + 4
    expect(limitOf(policy)).toBe(100); // without the correction: long 100.4, g 1, L = 104
    policy.onOutcome!(sample(100, 100)); // long 97.504, g 1: L = 104.88
    expect(limitOf(policy)).toBe(104);
  });

  it('uses TTFT with rtt: ttft, sheds or queues over the limit', () => {
    const policy = make({ initialLimit: 100, maxLimit: 200, smoothing: 1, rtt: 'ttft' });
    for (let i = 0; i < 9; i++)
      policy.onOutcome!(makeOutcome(t, { ttftMs: 10, latencyMs: 5000, inFlightAtStart: 0 }));
    policy.onOutcome!(makeOutcome(t, { ttftMs: 110, latencyMs: 5000, inFlightAtStart: 100 })); // long 20: g 0.5
    expect(limitOf(policy)).toBe(54);
    expect(policy.admit(makeRequest(), { inFlight: 54, queued: 0 }, 0)).toEqual({ reject: 'over-limit' });
    const queued = make({ queue: true });
    expect(queued.admit(makeRequest(), { inFlight: 20, queued: 0 }, 0)).toBe('enqueue');
  });
});

describe('gradient2: rtt per-token', () => {
  it('samples latency / output tokens, so a long answer is not read as queueing', () => {
    const tokens = (latencyMs: number, outputTokens: number) =>
      makeOutcome(t, { latencyMs, outputTokens, inFlightAtStart: 20 });
    const perToken = make({ rtt: 'per-token' });
    perToken.onOutcome!(tokens(1000, 100)); // 10 ms/token: long 10, g 1
    perToken.onOutcome!(tokens(10_000, 1000)); // 10 ms/token again: g 1, 20.8 -> 21.6
    expect(limitOf(perToken)).toBe(21);
    const raw = make();
    raw.onOutcome!(tokens(1000, 100));
    raw.onOutcome!(tokens(10_000, 1000)); // long 5500, g = clamp(1.5 x 5500 / 10000) = 0.825: 20.8 x 0.825 + 4 = 21.16, smoothed 20.87
    expect(limitOf(raw)).toBe(20);
  });
});

/**
 * Netflix concurrency-limits ExpAvgMeasurementTest (concurrency-limits-core, commit 78a74b9,
 * 2026-01-12): the long-RTT measurement of Gradient2Limit.
 */
describe('gradient2: Netflix ExpAvgMeasurementTest', () => {
  it('testWarmup', () => {
    const avg = expAvgMeasurement(100, 10);
    const expected = [10.0, 10.5, 11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5];
    for (let i = 0; i < 10; i++) {
      avg.add(i + 10);
      expect(avg.value).toBeCloseTo(expected[i] as number, 2);
    }
    avg.add(100);
    expect(Math.abs(avg.value - 16.2)).toBeLessThanOrEqual(0.1);
  });
});

describe('gradient2: Netflix builder choices', () => {
  it('takes queueSize as a function of the limit, and minLimit 0', () => {
    const policy = make({ initialLimit: 100, minLimit: 0, queueSize: { fn: 'sqrt', times: 2 } });
    policy.onOutcome!(sample(100, 100)); // g 1: 0.8 x 100 + 0.2 x (100 + 2 x 10) = 104
    expect(limitOf(policy)).toBe(104);
    expect(() => gradient2.params!.parse({ queueSize: 'cube' })).toThrow(/expected a number >= 0, 'log10'/);
    expect(() => gradient2.params!.parse({ minLimit: -1 })).toThrow();
  });
});
