import { describe, expect, it } from 'vitest';
import vegas from '../../policies/vegas.ts';
import type { AdmissionPolicy } from '../../src/gateway/policy.ts';
import {
  admittedLimit,
  fakeContext,
  limiterSample,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(vegas);
runPolicyContract(vegas, { initialLimit: 5, maxLimit: 50, smoothing: 0.5, probeMultiplier: 2, queue: true });

const limitOf = admittedLimit;

/** A Vegas limiter whose probe jitter is 0.5 (random() = 0). */
function make(params: Record<string, unknown> = {}): AdmissionPolicy {
  const { ctx } = fakeContext();
  return vegas.create(vegas.params!.parse(params), { ...ctx, random: () => 0 });
}

const t = makeTarget(0);
const sample = limiterSample;

describe('vegas (Netflix VegasLimit)', () => {
  it('follows the published update rule at L = 20 (log10 L = 1: alpha 3, beta 6, threshold 1)', () => {
    const policy = make();
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(sample(100, 20)); // first sample: rttNoLoad = 100, no update
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(sample(100, 10)); // queue ceil(20 x 0) = 0 <= 1: L += beta
    expect(limitOf(policy)).toBe(26);
    policy.onOutcome!(sample(200, 20)); // queue ceil(26 x 0.5) = 13 > 6: L -= 1
    expect(limitOf(policy)).toBe(25);
    policy.onOutcome!(sample(125, 20)); // queue ceil(25 x 0.2) = 5, in [3, 6]: keep
    expect(limitOf(policy)).toBe(25);
    policy.onOutcome!(sample(105, 20)); // queue ceil(1.19) = 2, in (1, 3): L += 1
    expect(limitOf(policy)).toBe(26);
    policy.onOutcome!(sample(200, 20, 'timeout')); // drop: L -= 1
    expect(limitOf(policy)).toBe(25);
    policy.onOutcome!(sample(300, 12)); // 24 < 25: app-limited, keep
    expect(limitOf(policy)).toBe(25);
    policy.onOutcome!(sample(50, 25)); // a new minimum: rttNoLoad = 50, no update
    expect(limitOf(policy)).toBe(25);
    policy.onOutcome!(sample(50, 25)); // queue 0: L += 6
    expect(limitOf(policy)).toBe(31);
    for (const status of ['cancelled', 'stream_cut', 'bad_request']) policy.onOutcome!(sample(1, 31, status));
    expect(limitOf(policy)).toBe(31);
  });

  it('scales alpha/beta with log10 L (2 at L = 150, 3 from 1000: Netflix fixed sqrt L there in 2018)', () => {
    const mid = make({ initialLimit: 150 });
    mid.onOutcome!(sample(100, 150));
    mid.onOutcome!(sample(100, 150)); // queue 0 <= 2: +12
    expect(limitOf(mid)).toBe(162);
    mid.onOutcome!(sample(110, 150)); // ceil(162 x 1/11) = 15 > 12: -2
    expect(limitOf(mid)).toBe(160);
    mid.onOutcome!(sample(103, 150)); // ceil(160 x 3/103) = 5 in (2, 6): +2
    expect(limitOf(mid)).toBe(162);

    const big = make({ initialLimit: 1500, maxLimit: 2000 });
    big.onOutcome!(sample(100, 1500));
    big.onOutcome!(sample(100, 1500)); // f = floor(log10 1500) = 3: +6 x 3
    expect(limitOf(big)).toBe(1518);
    big.onOutcome!(sample(100, 1500));
    expect(limitOf(big)).toBe(1536);

    // The sqrt functions are opt-in: beta 6 sqrt L gives the pre-2018 step.
    const sqrt = make({
      initialLimit: 1500,
      maxLimit: 2000,
      beta: { fn: 'sqrt', times: 6 },
      threshold: 'sqrt',
    });
    sqrt.onOutcome!(sample(100, 1500));
    sqrt.onOutcome!(sample(100, 1500)); // f = floor(sqrt 1500) = 38: +6 x 38
    expect(limitOf(sqrt)).toBe(1728);
    sqrt.onOutcome!(sample(100, 1500));
    expect(limitOf(sqrt)).toBe(1728 + 6 * 41);
    sqrt.onOutcome!(sample(100, 1500));
    expect(limitOf(sqrt)).toBe(2000); // maxLimit
  });

  it('re-probes rttNoLoad after jitter x probeMultiplier x L samples', () => {
    const policy = make({ probeMultiplier: 1 }); // probe at 0.5 x 1 x 20 = 10 samples
    policy.onOutcome!(sample(100, 20)); // rttNoLoad = 100
    for (let i = 0; i < 8; i++) policy.onOutcome!(sample(100, 0)); // app-limited
    policy.onOutcome!(sample(200, 20)); // 10th sample: probe, rttNoLoad = 200
    expect(limitOf(policy)).toBe(20);
    policy.onOutcome!(sample(200, 20)); // queue 0 against the new baseline (would be 10 against 100)
    expect(limitOf(policy)).toBe(26);
  });

  it('smooths the new limit', () => {
    const policy = make({ smoothing: 0.5 });
    policy.onOutcome!(sample(100, 20));
    policy.onOutcome!(sample(100, 20)); // 0.5 x 20 + 0.5 x 26
    expect(limitOf(policy)).toBe(23);
  });

  it('sheds over the limit, or queues with queue: true', () => {
    expect(make().admit(makeRequest(), { inFlight: 20, queued: 0 }, 0)).toEqual({ reject: 'over-limit' });
    expect(make({ queue: true }).admit(makeRequest(), { inFlight: 20, queued: 0 }, 0)).toBe('enqueue');
  });
});

/**
 * Netflix concurrency-limits VegasLimitTest (concurrency-limits-core, commit 78a74b9, 2026-01-12),
 * one block per source test. RTTs in ms (the source's nanoseconds scale out of the rule); the
 * source's `onSample(0, rtt, inflight, didDrop)` is an outcome with that latency and inFlightAtStart.
 */
describe('vegas: Netflix VegasLimitTest', () => {
  // VegasLimitTest.create(): alpha(3), beta(6), smoothing 1.0, initialLimit 10, maxConcurrency 20.
  const create = () => make({ alpha: 3, beta: 6, smoothing: 1, initialLimit: 10, maxLimit: 20 });
  const decreaseHalf = { decrease: { factor: 0.5 }, initialLimit: 100, maxLimit: 200 };

  it('largeLimitIncrease', () => {
    const policy = make({ initialLimit: 10000, maxLimit: 20000 });
    policy.onOutcome!(sample(10_000, 5000));
    expect(limitOf(policy)).toBe(10000);
    policy.onOutcome!(sample(10_000, 6000));
    expect(limitOf(policy)).toBe(10024);
  });

  it('increaseLimit', () => {
    const policy = create();
    policy.onOutcome!(sample(10, 10));
    expect(limitOf(policy)).toBe(10);
    policy.onOutcome!(sample(10, 11));
    expect(limitOf(policy)).toBe(16);
  });

  it('decreaseLimit', () => {
    const policy = create();
    policy.onOutcome!(sample(10, 10));
    expect(limitOf(policy)).toBe(10);
    policy.onOutcome!(sample(50, 11));
    expect(limitOf(policy)).toBe(9);
  });

  it('noChangeIfWithinThresholds', () => {
    const policy = create();
    policy.onOutcome!(sample(10, 10));
    expect(limitOf(policy)).toBe(10);
    policy.onOutcome!(sample(14, 14));
    expect(limitOf(policy)).toBe(10);
  });

  // decreaseSmoothingDeprecatedBuilderMethod and decreaseWithoutSmoothingDeprecatedBuilderMethod
  // repeat these two through Netflix's deprecated builder methods: the same numbers.
  for (const name of ['decreaseSmoothing', 'decreaseSmoothingDeprecatedBuilderMethod']) {
    it(name, () => {
      const policy = make({ ...decreaseHalf, smoothing: 0.5 });
      policy.onOutcome!(sample(10, 100)); // pick up first min-rtt
      expect(limitOf(policy)).toBe(100);
      policy.onOutcome!(sample(20, 100)); // first decrease
      expect(limitOf(policy)).toBe(75);
      policy.onOutcome!(sample(20, 100)); // second decrease
      expect(limitOf(policy)).toBe(56);
    });
  }

  for (const name of ['decreaseWithoutSmoothing', 'decreaseWithoutSmoothingDeprecatedBuilderMethod']) {
    it(name, () => {
      const policy = make(decreaseHalf);
      policy.onOutcome!(sample(10, 100)); // pick up first min-rtt
      expect(limitOf(policy)).toBe(100);
      policy.onOutcome!(sample(20, 100)); // first decrease
      expect(limitOf(policy)).toBe(50);
      policy.onOutcome!(sample(20, 100)); // second decrease
      expect(limitOf(policy)).toBe(25);
    });
  }
});

describe('vegas: named function choices', () => {
  it('reads constants, named functions and { fn, times, atLeast } for alpha, beta and threshold', () => {
    // threshold 0 and alpha 10: queue ceil(20 x 0.25) = 5 is over the threshold, under alpha: +log10
    const policy = make({ threshold: 0, alpha: 10, beta: { fn: 'sqrt', times: 2, atLeast: 12 } });
    policy.onOutcome!(sample(75, 20));
    policy.onOutcome!(sample(100, 20));
    expect(limitOf(policy)).toBe(21);
    policy.onOutcome!(sample(75, 20)); // queue 0 <= 0: + beta max(12, 2 x 4) = 12
    expect(limitOf(policy)).toBe(33);
  });

  it('increases by { factor } and refuses unknown function names', () => {
    const policy = make({ alpha: 10, threshold: 0, increase: { factor: 1.5 } });
    policy.onOutcome!(sample(75, 20));
    policy.onOutcome!(sample(100, 20)); // queue 5 < 10: 20 x 1.5
    expect(limitOf(policy)).toBe(30);
    expect(() => vegas.params!.parse({ decrease: 'cube' })).toThrow(
      /expected an integer >= 0, 'log10', 'sqrt'/,
    );
    expect(() => vegas.params!.parse({ alpha: -1 })).toThrow();
  });

  it('samples latency per output token with rtt: per-token', () => {
    const policy = make({ rtt: 'per-token' });
    policy.onOutcome!(makeOutcome(t, { latencyMs: 1000, outputTokens: 100, inFlightAtStart: 20 })); // 10 ms/token
    // 10x the latency for 10x the tokens: no queue, L += 6
    policy.onOutcome!(makeOutcome(t, { latencyMs: 10_000, outputTokens: 1000, inFlightAtStart: 20 }));
    expect(limitOf(policy)).toBe(26);
    // No tokens: the whole latency (per max(1, tokens)), far above 10 ms: queue > beta, L -= 1
    policy.onOutcome!(makeOutcome(t, { latencyMs: 1000, outputTokens: 0, inFlightAtStart: 20 }));
    expect(limitOf(policy)).toBe(25);
  });
});
