import { describe, expect, it } from 'vitest';
import vegas from '../../policies/vegas.ts';
import type { AdmissionPolicy } from '../../src/gateway/policy.ts';
import {
  admittedLimit,
  fakeContext,
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
const sample = (latencyMs: number, inFlightAtStart: number, status = 'ok') =>
  makeOutcome(t, { latencyMs, inFlightAtStart, status });

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

  it('scales alpha/beta with log10 L (2 at L = 150) and sqrt L from 1000', () => {
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
    big.onOutcome!(sample(100, 1500)); // f = floor(sqrt 1500) = 38: +6 x 38
    expect(limitOf(big)).toBe(1728);
    big.onOutcome!(sample(100, 1500));
    expect(limitOf(big)).toBe(1728 + 6 * 41);
    big.onOutcome!(sample(100, 1500));
    expect(limitOf(big)).toBe(2000); // maxLimit
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
