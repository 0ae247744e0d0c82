/**
 * gradient2: an adaptive concurrency limit L from the ratio of a long-term to the current RTT.
 * Per attempt outcome (RTT r, in-flight at its start n): longRtt averages the first 10 samples,
 * then is an EMA over `longWindow` samples (factor 2 / (longWindow + 1)); if longRtt / r > 2,
 * longRtt x= 0.95 (recovering after load, this sample still uses the uncorrected value); if
 * n < L / 2 keep L (app-limited); else g = clamp(rttTolerance x longRtt / r, 0.5, 1),
 * L' = L x g + queueSize, L = (1 - smoothing) L + smoothing L', clamped to [minLimit, maxLimit].
 * Admits while in-flight < floor(L); over it sheds (`reject('over-limit')`) or queues (`queue`).
 *
 * Source: Netflix concurrency-limits `Gradient2Limit` with `ExpAvgMeasurement(longWindow, 10)`;
 * the rule is in src/gateway/gradient2-limit.ts.
 * Defaults (Netflix's): initialLimit 20, minLimit 20, maxLimit 200, smoothing 0.2, queueSize 4,
 * longWindow 600, rttTolerance 1.5 (queueSize may also be a function of the limit, as Netflix's
 * `queueSize(IntUnaryOperator)`: `log10`, `sqrt` or `{ fn, times, atLeast }`; minLimit may be 0);
 * `rtt: latency` (opt-in: `ttft`, or `per-token`: latency /
 * max(1, output tokens)), `queue: false`. Every attempt
 * outcome is a sample (Gradient2 ignores drops) except cancelled, stream_cut and bad_request.
 */
import { z } from 'zod';
import { gradient2Limit, gradient2LimitParams } from '../src/gateway/gradient2-limit.ts';
import { limiterRttOf, limiterSignal, RTT_SIGNALS } from '../src/gateway/limiter-signal.ts';
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'gradient2',
  kind: 'admission',
  description: 'Netflix Gradient2 concurrency limit: long-term vs current RTT gradient.',
  params: z
    .strictObject({
      ...gradient2LimitParams,
      rtt: z.enum(RTT_SIGNALS).default('latency'),
      queue: z.boolean().default(false),
    })
    .refine((p) => p.minLimit <= p.maxLimit, { message: 'minLimit must not exceed maxLimit' }),
  create(params) {
    // What a request over the limit gets: fixed at creation.
    const whenFull = params.queue ? 'enqueue' : reject('over-limit');
    const limit = gradient2Limit(params);
    return {
      admit(_req, gateway) {
        if (gateway.inFlight < limit.limit) return 'admit';
        return whenFull;
      },
      onOutcome(o) {
        if (limiterSignal(o.status) === 'ignore') return;
        limit.onSample(limiterRttOf(o, params.rtt), o.inFlightAtStart, false);
      },
    };
  },
});
