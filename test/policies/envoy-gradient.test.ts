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

const times = (n: number, v: number) => Array.from({ length: n }, () => v);

describe('envoy-gradient (Envoy adaptive concurrency, gradient controller)', () => {
  it('measures minRTT at concurrency 3, then limit = floor(g L + sqrt(g L)) each 100 ms window', () => {
    const { policy, feed, advance } = setup({ jitter: 0, minRttRequests: 5 });
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
    const { policy, feed, advance, now } = setup({ minRttInterval: 1000, minRttRequests: 5 }, () => 0.5);
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
      const env = setup({ jitter: 0, minRttRequests: 5 });
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
      envoyGradient.params!.parse({ jitter: 0, minRttRequests: 1, rtt: 'ttft', queue: true }),
      ctx,
    );
    ttft.onOutcome!(makeOutcome(t, { ttftMs: 10, latencyMs: 9000 })); // minRTT 10 (TTFT)
    ttft.onOutcome!(makeOutcome(t, { ttftMs: 10, latencyMs: 9000 }));
    adv(100); // g 1.1 -> 5
    expect(limitOf(ttft)).toBe(5);
    expect(ttft.admit(makeRequest(), { inFlight: 5, queued: 0 }, 0)).toBe('enqueue');
  });
});
