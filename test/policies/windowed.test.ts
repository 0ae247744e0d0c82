import { describe, expect, it } from 'vitest';
import windowed from '../../policies/windowed.ts';
import type { AdmissionPolicy } from '../../src/gateway/policy.ts';
import { newSampleWindow } from '../../src/gateway/sample-window.ts';
import {
  admittedLimit,
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(windowed, { limit: { policy: 'vegas' } });
runPolicyContract(windowed, {
  limit: { policy: 'gradient', params: { initialLimit: 5, probeInterval: 3 } },
  sampleWindow: { percentile: 0.9, size: 20 },
  queue: true,
});
runPolicyContract(windowed, { limit: { policy: 'aimd', params: { minLimit: 1 } }, rtt: 'ttft' });
runPolicyContract(windowed, { limit: { policy: 'gradient2' }, rtt: 'per-token' });

const limitOf = admittedLimit;

function make(params: Record<string, unknown>): AdmissionPolicy {
  const { ctx } = fakeContext();
  return windowed.create(windowed.params!.parse(params), { ...ctx, random: () => 0 });
}

const t = makeTarget(0);
const at = (startMs: number, latencyMs: number, inFlightAtStart = 10, status = 'ok') =>
  makeOutcome(t, { startMs, endMs: startMs + latencyMs, latencyMs, inFlightAtStart, status });

/**
 * Netflix concurrency-limits ImmutableAverageSampleWindowTest and ImmutablePercentileSampleWindowTest
 * (concurrency-limits-core, commit 78a74b9, 2026-01-12), one block per source test; RTTs in ns.
 */
describe('windowed: Netflix sample window tests', () => {
  const bigRtt = 5000;
  const moderateRtt = 500;
  const lowRtt = 10;

  it('ImmutableAverageSampleWindowTest.calculateAverage', () => {
    const window = newSampleWindow('average');
    window.add(bigRtt, 1, false);
    window.add(moderateRtt, 1, false);
    window.add(lowRtt, 1, false);
    expect(window.trackedRttNs).toBe(1836); // (5000 + 500 + 10) / 3 in Java's long division
  });

  it('ImmutableAverageSampleWindowTest.droppedSampleShouldChangeTrackedAverage', () => {
    const window = newSampleWindow('average');
    window.add(bigRtt, 1, false);
    window.add(moderateRtt, 1, false);
    window.add(lowRtt, 1, false);
    window.add(bigRtt, 1, true);
    expect(window.trackedRttNs).toBe(2627); // (5000 + 500 + 10 + 5000) / 4
  });

  it('ImmutablePercentileSampleWindowTest.calculateP50', () => {
    const window = newSampleWindow({ percentile: 0.5, size: 10 });
    window.add(bigRtt, 0, false);
    window.add(moderateRtt, 0, false);
    window.add(lowRtt, 0, false);
    expect(window.trackedRttNs).toBe(moderateRtt);
  });

  it('ImmutablePercentileSampleWindowTest.droppedSampleShouldChangeTrackedRtt', () => {
    const window = newSampleWindow({ percentile: 0.5, size: 10 });
    window.add(lowRtt, 1, false);
    window.add(bigRtt, 1, true);
    window.add(bigRtt, 1, true);
    expect(window.trackedRttNs).toBe(bigRtt);
  });

  it('ImmutablePercentileSampleWindowTest.p999ReturnsSlowestObservedRtt', () => {
    const window = newSampleWindow({ percentile: 0.999, size: 10 });
    window.add(bigRtt, 1, false);
    window.add(moderateRtt, 1, false);
    window.add(lowRtt, 1, false);
    expect(window.trackedRttNs).toBe(bigRtt);
  });

  it('ImmutablePercentileSampleWindowTest.rttObservationOrderDoesntAffectResultValue', () => {
    const window = newSampleWindow({ percentile: 0.999, size: 10 });
    window.add(moderateRtt, 1, false);
    window.add(lowRtt, 1, false);
    window.add(bigRtt, 1, false);
    window.add(lowRtt, 1, false);
    expect(window.trackedRttNs).toBe(bigRtt);
  });

  it('keeps min RTT, max in-flight, drops and the first `size` samples of a percentile window', () => {
    const window = newSampleWindow({ percentile: 0.5, size: 2 });
    window.add(300, 4, false);
    window.add(100, 9, true);
    window.add(1, 50, false); // full: ignored
    expect([window.candidateRttNs, window.maxInFlight, window.didDrop, window.sampleCount]).toEqual([
      100,
      9,
      true,
      2,
    ]);
  });
});

/**
 * Netflix concurrency-limits has no WindowedLimitTest (none in its history up to commit 78a74b9):
 * these sequences follow WindowedLimit.onSample at that commit, numbers worked by hand.
 */
describe('windowed (Netflix WindowedLimit)', () => {
  /** The first attempt closes the empty first window (ending at 0) without a sample. */
  const opened = (params: Record<string, unknown>) => {
    const policy = make(params);
    policy.onOutcome!(at(0, 50)); // next window ends at 50 + clamp(100, 1000, 1000) = 1050 ms
    return policy;
  };

  it('feeds the inner limit one sample per window of >= windowSize samples: the mean RTT, max in-flight', () => {
    const policy = opened({ limit: { policy: 'aimd', params: { timeout: 85 } } });
    // 9 attempts ending inside the window (RTT 10..90 ms), then one closing it (100): mean 55 <= 85
    for (let i = 1; i <= 9; i++) policy.onOutcome!(at(100 * i, 10 * i, i + 1));
    expect(limitOf(policy)).toBe(20); // no sample yet
    policy.onOutcome!(at(1000, 100, 10)); // ends at 1100 > 1050: the window closes, max in-flight 10
    expect(limitOf(policy)).toBe(21); // AIMD +1 (10 x 2 >= 20)
  });

  it('hands the percentile of a percentile window (p90 of 10..100 ms = 90, over the timeout: a drop)', () => {
    const policy = opened({
      limit: { policy: 'aimd', params: { timeout: 85, minLimit: 1 } },
      sampleWindow: { percentile: 0.9, size: 20 },
    });
    for (let i = 1; i <= 9; i++) policy.onOutcome!(at(100 * i, 10 * i, 10));
    policy.onOutcome!(at(1000, 100, 10));
    expect(limitOf(policy)).toBe(18); // floor(0.9 x 20)
  });

  it('discards a window under windowSize, skips RTTs under minRttThreshold, carries drops and ignores cancels', () => {
    const policy = opened({ limit: { policy: 'aimd', params: { minLimit: 1 } } });
    for (let i = 1; i <= 8; i++) policy.onOutcome!(at(100 * i, 10, 10));
    policy.onOutcome!(at(950, 0.05, 10)); // 50 us < 100 us: not a sample
    policy.onOutcome!(at(960, 1, 10, 'cancelled')); // ignored
    policy.onOutcome!(at(1000, 100, 10)); // closes with 9 samples: discarded
    expect(limitOf(policy)).toBe(20);
    // The next window ends at 1100 + clamp(2 x 10, 1000, 1000) = 2100 ms.
    for (let i = 0; i < 9; i++) policy.onOutcome!(at(1200 + 10 * i, 10, 10));
    policy.onOutcome!(at(1300, 10, 10, 'overloaded')); // a drop in the window
    policy.onOutcome!(at(2050, 100, 10)); // ends at 2150: 11 samples, one dropped
    expect(limitOf(policy)).toBe(18);
  });

  it('times windows by attempt ends, whatever the RTT signal', () => {
    const policy = make({ limit: { policy: 'aimd', params: { timeout: 5 } }, rtt: 'per-token' });
    const call = (startMs: number, latencyMs: number) =>
      makeOutcome(t, {
        startMs,
        endMs: startMs + latencyMs,
        latencyMs,
        outputTokens: latencyMs / 2,
        inFlightAtStart: 10,
      });
    policy.onOutcome!(call(0, 1000)); // 2 ms/token, ends at 1000: the next window ends at 2000
    for (let i = 0; i < 10; i++) policy.onOutcome!(call(1100 + i, 100)); // end 1200..1209: inside
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(call(1050, 1000)); // ends at 2050 (start + 2 ms would be inside)
    expect(limitOf(policy)).toBe(21);
  });

  it('windows are 2 x the min RTT within [minWindowTime, maxWindowTime]', () => {
    const policy = make({ limit: { policy: 'aimd' }, minWindowTime: 100, maxWindowTime: 5000 });
    policy.onOutcome!(at(0, 300)); // next window ends at 300 + 600 = 900 ms
    for (let i = 0; i < 10; i++) policy.onOutcome!(at(400 + i, 400, 10)); // end 800..809: inside
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(at(500, 401, 10)); // ends at 901 > 900: 11 samples
    expect(limitOf(policy)).toBe(21);
  });

  it('wraps gradient2: one sample per window (gradient2 reads drops as samples)', () => {
    const policy = opened({ limit: { policy: 'gradient2', params: { initialLimit: 20 } } });
    for (let i = 1; i <= 9; i++) policy.onOutcome!(at(100 * i, 100, 20, i === 5 ? 'timeout' : 'ok'));
    policy.onOutcome!(at(1000, 100, 20)); // mean 100: long 100, g 1: 0.8 x 20 + 0.2 x 24 = 20.8
    expect(limitOf(policy)).toBe(20);
    for (let i = 0; i < 10; i++) policy.onOutcome!(at(1200 + i, 100, 20));
    policy.onOutcome!(at(2100, 100, 20)); // ends at 2200 > 2100 (1100 + 1 s): 21.6
    expect(limitOf(policy)).toBe(21);
  });

  it('wraps vegas and gradient with their own parameters; sheds or queues over the limit', () => {
    const vegas = opened({ limit: { policy: 'vegas', params: { initialLimit: 10, alpha: 3, beta: 6 } } });
    expect(limitOf(vegas)).toBe(10);
    const gradient = opened({ limit: { policy: 'gradient', params: { initialLimit: 7 } }, queue: true });
    expect(gradient.admit(makeRequest(), { inFlight: 7, queued: 0 }, 0)).toBe('enqueue');
    expect(vegas.admit(makeRequest(), { inFlight: 10, queued: 0 }, 0)).toEqual({ reject: 'over-limit' });
  });

  it("refuses what Netflix's builder refuses, and a missing or unknown inner limit", () => {
    const parse = (p: Record<string, unknown>) => windowed.params!.parse({ limit: { policy: 'aimd' }, ...p });
    expect(() => parse({ windowSize: 9 })).toThrow();
    expect(() => parse({ minWindowTime: 99 })).toThrow();
    expect(() => parse({ maxWindowTime: 50 })).toThrow();
    expect(() => parse({ sampleWindow: { percentile: 1, size: 10 } })).toThrow();
    expect(() => parse({ sampleWindow: 'median' })).toThrow(/expected 'average' or \{ percentile/);
    expect(() => windowed.params!.parse({})).toThrow();
    expect(() => windowed.params!.parse({ limit: { policy: 'codel' } })).toThrow();
    expect(() => parse({ limit: { policy: 'gradient', params: { minLimit: 9, maxLimit: 5 } } })).toThrow();
  });
});
