import { describe, expect, it } from 'vitest';
import envoyGradient from '../../policies/envoy-gradient.ts';
import type { PolicyContext } from '../../src/gateway/policy.ts';
import {
  admittedLimit,
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(envoyGradient);
runPolicyContract(envoyGradient, { percentile: 0.5, buffer: 0.25, minRttRequests: 5, queue: true });

const limitOf = admittedLimit;

const t = makeTarget(0);

function setup(params: Record<string, unknown>, random?: () => number) {
  const { ctx, advance } = fakeContext();
  const c: PolicyContext = random ? { ...ctx, random } : ctx;
  const policy = envoyGradient.create(envoyGradient.params!.parse(params), c);
  /** Reports attempts with these latencies, started at `startMs` (default: now). */
  const feed = (latencies: readonly number[], startMs = c.now()) => {
    for (const latencyMs of latencies) policy.onOutcome!(makeOutcome(t, { startMs, latencyMs }));
  };
  return { policy, feed, advance, now: () => c.now() };
}

/** Floodgate's defaults before issue 14 (Envoy's example config: p90, 10% buffer), which these sequences use. */
const P90 = { percentile: 0.9, buffer: 0.1 };

const times = (n: number, v: number) => Array.from({ length: n }, () => v);

describe('envoy-gradient (Envoy adaptive concurrency, gradient controller)', () => {
  it('measures minRTT at concurrency 3, then limit = floor(g L + sqrt(g L)) each 100 ms window', () => {
    const { policy, feed, advance } = setup({ ...P90, jitter: 0, minRttRequests: 5 });
    expect(limitOf(policy)).toBe(3); // pinned while measuring minRTT
    feed(times(5, 10)); // minRTT = p90 = 10; back to the deferred limit, 3
    expect(limitOf(policy)).toBe(3);
    feed(times(10, 10));
    advance(100); // g = 10 x 1.1 / 10 = 1.1: 3.3 + sqrt(3.3) = 5.12
    expect(limitOf(policy)).toBe(5);
    feed([...times(9, 10), 100]);
    advance(100); // p90 (9th of 10) = 10: 5.5 + sqrt(5.5) = 7.85
    expect(limitOf(policy)).toBe(7);
    feed([...times(8, 10), 100, 100]);
    advance(100); // p90 = 100: g = 0.11 -> 0.5: 3.5 + sqrt(3.5) = 5.37
    expect(limitOf(policy)).toBe(5);
    feed([1]);
    advance(100); // g = 11 -> 2: 10 + sqrt(10) = 13.16
    expect(limitOf(policy)).toBe(13);
    advance(100); // no samples: no update
    expect(limitOf(policy)).toBe(13);
    feed([20]);
    advance(100); // g = 0.55: 7.15 + sqrt(7.15) = 9.82
    expect(limitOf(policy)).toBe(9);
    expect(policy.admit(makeRequest(), { inFlight: 9, queued: 0 }, 0)).toEqual({ reject: 'over-limit' });
  });

  it('re-measures minRTT every interval (plus jitter), pinning the limit at 3 meanwhile', () => {
    // jitter 0.15 of 1000 ms: a range of 150 ms; random() = 0.5 puts the next window at +1075 ms.
    const { policy, feed, advance, now } = setup(
      { ...P90, minRttInterval: 1000, minRttRequests: 5 },
      () => 0.5,
    );
    feed(times(5, 10)); // t = 0: minRTT 10
    for (const expected of [5, 7, 10]) {
      feed([10]);
      advance(100);
      expect(limitOf(policy)).toBe(expected);
    }
    advance(1074 - now());
    expect(limitOf(policy)).toBe(10);
    advance(1);
    expect(limitOf(policy)).toBe(3); // t = 1075: measuring
    feed(times(5, 10), 1000); // started before the measurement: disregarded
    expect(limitOf(policy)).toBe(3);
    feed(times(4, 20));
    advance(500); // the window timer is off while measuring
    expect(limitOf(policy)).toBe(3);
    feed([20], now() - 1); // 5th sample: minRTT 20, limit back to 10
    expect(limitOf(policy)).toBe(10);
    feed([20]);
    advance(100); // g = 1.1 against the new minRTT: 11 + sqrt(11) = 14.3
    expect(limitOf(policy)).toBe(14);
  });

  it('re-measures at once after 5 windows in a row at the minimum', () => {
    /** Drives the limit to 3, then `k` more windows that set it to 3 again. */
    const atMinimum = (k: number) => {
      const env = setup({ ...P90, jitter: 0, minRttRequests: 5 });
      env.feed(times(5, 10));
      env.feed([1]);
      env.advance(100); // 3 x 2 = 6 + sqrt 6 = 8.45
      expect(limitOf(env.policy)).toBe(8);
      for (const expected of [6, 4, 3]) {
        env.feed([1000]);
        env.advance(100); // g 0.5: 6, then 4, then 3 (reached from 4: not yet "in a row")
        expect(limitOf(env.policy)).toBe(expected);
      }
      for (let i = 0; i < k; i++) {
        env.feed([1000]);
        env.advance(100); // 1.5 + 1.22 -> 2 -> clamped to 3
      }
      return env;
    };
    const four = atMinimum(4);
    four.feed([1]);
    four.advance(100); // not measuring: the window updates, 6 + sqrt 6
    expect(limitOf(four.policy)).toBe(8);

    const five = atMinimum(5);
    const epoch = five.now(); // the 5th window started a measurement
    five.feed([1]);
    five.advance(100); // the sample belongs to the measurement; no window update
    expect(limitOf(five.policy)).toBe(3);
    five.feed(times(5, 10), epoch - 1); // started before the measurement: disregarded
    five.feed(times(4, 1000)); // 5 samples: minRTT = p90 of [1, 1000 x 4] = 1000
    five.feed([1000]);
    five.advance(100); // g = 1.1: 3.3 + 1.82 = 5
    expect(limitOf(five.policy)).toBe(5);
  });

  it('uses the configured percentile and buffer, and TTFT with rtt: ttft', () => {
    const { policy, feed, advance } = setup({ jitter: 0, minRttRequests: 4, percentile: 0.5, buffer: 0.25 });
    feed([10, 10, 40, 40]); // p50 = 2nd of 4 = 10
    feed([10, 10, 10, 100, 100]);
    advance(100); // p50 = 10: g = 12.5 / 10 = 1.25: 3.75 + 1.94 = 5.69
    expect(limitOf(policy)).toBe(5);

    const { ctx, advance: adv } = fakeContext();
    const ttft = envoyGradient.create(
      envoyGradient.params!.parse({ ...P90, jitter: 0, minRttRequests: 1, rtt: 'ttft', queue: true }),
      ctx,
    );
    ttft.onOutcome!(makeOutcome(t, { ttftMs: 10, latencyMs: 9000 })); // minRTT 10 (TTFT)
    ttft.onOutcome!(makeOutcome(t, { ttftMs: 10, latencyMs: 9000 }));
    adv(100); // g 1.1 -> 5
    expect(limitOf(ttft)).toBe(5);
    expect(ttft.admit(makeRequest(), { inFlight: 5, queued: 0 }, 0)).toBe('enqueue');
  });

  it('samples latency per output token with rtt: per-token (an answer ten times longer is not ten times the queueing)', () => {
    const { ctx, advance } = fakeContext();
    const perToken = envoyGradient.create(
      envoyGradient.params!.parse({ ...P90, jitter: 0, minRttRequests: 1, rtt: 'per-token' }),
      ctx,
    );
    perToken.onOutcome!(makeOutcome(t, { latencyMs: 1000, outputTokens: 100 })); // minRTT 10 ms per token
    // 10x the latency for 10x the tokens: the same 10 ms per token, so the gradient stays at its cap.
    perToken.onOutcome!(makeOutcome(t, { latencyMs: 10_000, outputTokens: 1000 }));
    advance(100); // g = min(2, 11 / 10) = 1.1: 3 x 1.1 + sqrt(3.3) = 5.12 -> 5
    expect(limitOf(perToken)).toBe(5);
  });
});

/**
 * Envoy's own tests (envoyproxy/envoy, test/extensions/filters/http/adaptive_concurrency/controller/
 * gradient_controller_test.cc at 054694f9), one block each, with their numbers; times in ms, sampleLatency(x)
 * is an attempt started x ago. advancePastMinRTTStage sends request_count + 1 samples.
 */
describe('envoy-gradient: Envoy gradient_controller_test.cc', () => {
  /** The YAML these tests share: p50, update interval 0.1 s, jitter 0, interval 30 s, request_count 5. */
  const base = { percentile: 0.5, sampleInterval: 100, jitter: 0, minRttInterval: 30_000, minRttRequests: 5 };
  const pastMinRtt = (feed: (l: readonly number[]) => void, requests = 5, latency = 5) =>
    feed(times(requests + 1, latency));

  it("GradientControllerConfigTest.DefaultValuesTest: Envoy's defaults", () => {
    const p = envoyGradient.params!.parse({});
    expect([p.maxLimit, p.minRttRequests, p.percentile, p.jitter, p.minConcurrency, p.buffer]).toEqual([
      1000, 50, 0.5, 0.15, 3, 0.25,
    ]);
  });

  it('GradientControllerConfigTest.Clamping: percentile and jitter of 150% and -50.5% are clamped to 1 and 0', () => {
    // percentile 1.5 acts as 1 (the largest sample), -0.505 as 0 (the smallest).
    const limitAfter = (percentile: number) => {
      const { policy, feed, advance } = setup({ ...base, buffer: 0, percentile, minRttRequests: 1 });
      feed([10]); // minRTT 10 whatever the percentile
      feed([5, 100]);
      advance(100);
      return limitOf(policy);
    };
    expect(limitAfter(1.5)).toBe(3); // sampleRTT 100: g 0.1 -> 0.5: 1.5 + sqrt 1.5 = 2.7 -> min 3
    expect(limitAfter(-0.505)).toBe(8); // sampleRTT 5: g 2: 6 + sqrt 6 = 8.4
    // jitter 1.5 acts as 1: the next minRTT window starts within [interval, 2 x interval).
    const { policy, feed, advance } = setup({ ...base, jitter: 1.5, minRttInterval: 1000 }, () => 0.999);
    pastMinRtt(feed);
    advance(1998);
    expect(limitOf(policy)).toBeGreaterThan(3);
    advance(1);
    expect(limitOf(policy)).toBe(3);
  });

  it('MinRTTLogicTest: min_concurrency 7 while measuring; 7 + 43 samples of 13 ms end the measurement', () => {
    const { policy, feed, advance } = setup({ ...base, minRttRequests: 50, minConcurrency: 7, buffer: 0 });
    expect(limitOf(policy)).toBe(7);
    feed(times(7, 13));
    for (let i = 0; i < 42; i++) {
      expect(limitOf(policy)).toBe(7);
      feed([13]);
    }
    feed([13]); // the 50th: minRTT 13, back to the deferred limit 7
    feed([13]);
    advance(100); // g = 1: 7 + sqrt 7 = 9.6 -> 9, so minRTT was 13
    expect(limitOf(policy)).toBe(9);
  });

  it('CancelLatencySample: samples of 1..5 ms give minRTT 3 (the median)', () => {
    const { policy, feed, advance } = setup({ ...base, buffer: 0 });
    feed([1, 2, 3, 4, 5]);
    feed([3]);
    advance(100); // minRTT 3: g 1: 3 + sqrt 3 = 4.7 -> 4 (minRTT 2 would give 3, 4 would give 5)
    expect(limitOf(policy)).toBe(4);
  });

  it('MinRTTBufferTest: with a 50% buffer, samples of 6 ms against a 5 ms minRTT keep growing the limit', () => {
    const { policy, feed, advance } = setup({ ...base, buffer: 0.5 });
    expect(limitOf(policy)).toBe(3);
    pastMinRtt(feed);
    for (let recalcs = 0; recalcs < 10; recalcs++) {
      const last = limitOf(policy);
      feed(times(5, 6));
      advance(101);
      expect(limitOf(policy)).toBeGreaterThan(last);
    }
  });

  it('ConcurrencyLimitBehaviorTestBasic: buffer 10%, min 7: grows by at most 2x, and shrinks to no less than 7', () => {
    const { policy, feed, advance } = setup({ ...base, buffer: 0.1, minConcurrency: 7 });
    expect(limitOf(policy)).toBe(7);
    pastMinRtt(feed);
    advance(101);
    expect(limitOf(policy)).toBeGreaterThanOrEqual(7);
    expect(limitOf(policy) / 7).toBeLessThanOrEqual(2);
    for (let recalcs = 0; recalcs < 10; recalcs++) {
      const last = limitOf(policy);
      feed(times(5, 4));
      advance(101);
      expect(last).toBeLessThanOrEqual(limitOf(policy));
      expect(last / limitOf(policy)).toBeGreaterThanOrEqual(0.5);
    }
    for (let recalcs = 0; recalcs < 10; recalcs++) {
      const last = limitOf(policy);
      feed(times(5, 6));
      advance(101);
      expect(limitOf(policy)).toBeLessThan(last);
      expect(limitOf(policy)).toBeGreaterThanOrEqual(7);
    }
  });

  it('MinRTTReturnToPreviousLimit: the limit measured before a minRTT window comes back after it', () => {
    const { policy, feed, advance, now } = setup(base);
    expect(limitOf(policy)).toBe(3);
    pastMinRtt(feed);
    advance(1000);
    for (let iters = 0; iters < 5; iters++) {
      const last = limitOf(policy);
      feed(times(5, 4));
      advance(101);
      expect(limitOf(policy)).toBeGreaterThan(last);
    }
    const limitVal = limitOf(policy);
    advance(31_000);
    expect(limitOf(policy)).toBe(3);
    advance(1000);
    for (let i = 0; i < 5; i++) {
      expect(limitOf(policy)).toBe(3);
      feed([13], now());
    }
    expect(limitOf(policy)).toBe(limitVal);
  });

  it('MinRTTRescheduleTest: no sample window update during the minRTT window', () => {
    const { policy, feed, advance } = setup(base);
    pastMinRtt(feed);
    advance(1000);
    for (let iters = 0; iters < 5; iters++) {
      feed(times(5, 4));
      advance(101);
    }
    advance(31_000);
    expect(limitOf(policy)).toBe(3);
    advance(101);
    expect(limitOf(policy)).toBe(3);
  });

  it('NoSamplesTest: the limit grows with samples, and stays put without them', () => {
    const { policy, feed, advance } = setup(base);
    pastMinRtt(feed);
    for (let iters = 0; iters < 5; iters++) {
      const last = limitOf(policy);
      feed(times(5, 4));
      advance(101);
      expect(limitOf(policy)).toBeGreaterThan(last);
    }
    for (let iters = 0; iters < 5; iters++) {
      const old = limitOf(policy);
      advance(101);
      expect(limitOf(policy)).toBe(old);
    }
  });

  it('ConsecutiveMinConcurrencyReset: 5 windows at min 7 re-measure minRTT, after which the limit grows again', () => {
    const { policy, feed, advance } = setup({
      ...base,
      minRttInterval: 3_600_000,
      buffer: 0,
      minConcurrency: 7,
    });
    pastMinRtt(feed);
    advance(101);
    expect(limitOf(policy)).toBeGreaterThanOrEqual(7);
    expect(limitOf(policy) / 7).toBeLessThanOrEqual(2);
    for (let recalcs = 0; recalcs < 5; recalcs++) {
      feed(times(5, 10));
      advance(101);
    }
    for (let recalcs = 0; recalcs < 10; recalcs++) {
      const last = limitOf(policy);
      feed(times(5, 10));
      advance(101);
      expect(limitOf(policy)).toBeGreaterThanOrEqual(last);
    }
  });
});
