/**
 * gradient2: an adaptive concurrency limit L from the ratio of a long-term to the current RTT.
 * Per attempt outcome (RTT r, in-flight at its start n): longRtt averages the first 10 samples,
 * then is an EMA over `longWindow` samples (factor 2 / (longWindow + 1)); if longRtt / r > 2,
 * longRtt x= 0.95 (recovering after load, this sample still uses the uncorrected value); if
 * n < L / 2 keep L (app-limited); else g = clamp(rttTolerance x longRtt / r, 0.5, 1),
 * L' = L x g + queueSize, L = (1 - smoothing) L + smoothing L', clamped to [minLimit, maxLimit].
 * Admits while in-flight < floor(L); over it sheds (`reject('over-limit')`) or queues (`queue`).
 *
 * Source: Netflix concurrency-limits `Gradient2Limit` with `ExpAvgMeasurement(longWindow, 10)`.
 * Defaults (Netflix's): initialLimit 20, minLimit 20, maxLimit 200, smoothing 0.2, queueSize 4,
 * longWindow 600, rttTolerance 1.5; `rtt: latency` (opt-in: `ttft`, or `per-token`: latency /
 * max(1, output tokens)), `queue: false`. Every attempt
 * outcome is a sample (Gradient2 ignores drops) except cancelled, stream_cut and bad_request.
 */
import { z } from 'zod';
import { limiterRttOf, limiterSignal, RTT_SIGNALS } from '../src/gateway/limiter-signal.ts';
import { definePolicy, reject } from '../src/gateway/policy.ts';

const WARMUP = 10;

export default definePolicy({
  name: 'gradient2',
  kind: 'admission',
  description: 'Netflix Gradient2 concurrency limit: long-term vs current RTT gradient.',
  params: z
    .strictObject({
      initialLimit: z.number().int().positive().default(20),
      minLimit: z.number().int().positive().default(20),
      maxLimit: z.number().int().positive().default(200),
      smoothing: z.number().gt(0).max(1).default(0.2),
      queueSize: z.number().min(0).default(4),
      longWindow: z.number().int().positive().default(600),
      rttTolerance: z.number().min(1).default(1.5),
      rtt: z.enum(RTT_SIGNALS).default('latency'),
      queue: z.boolean().default(false),
    })
    .refine((p) => p.minLimit <= p.maxLimit, { message: 'minLimit must not exceed maxLimit' }),
  create(params) {
    // What a request over the limit gets: fixed at creation.
    const whenFull = params.queue ? 'enqueue' : reject('over-limit');
    const factor = 2 / (params.longWindow + 1);
    let estimated = params.initialLimit;
    let limit = Math.trunc(estimated);
    // ExpAvgMeasurement: mean of the first WARMUP samples, then an EMA.
    let longRtt = 0;
    let longSum = 0;
    let longCount = 0;

    return {
      admit(_req, gateway) {
        if (gateway.inFlight < limit) return 'admit';
        return whenFull;
      },
      onOutcome(o) {
        if (limiterSignal(o.status) === 'ignore') return;
        const shortRtt = limiterRttOf(o, params.rtt);
        if (!(shortRtt > 0)) return;
        if (longCount < WARMUP) {
          longCount++;
          longSum += shortRtt;
          longRtt = longSum / longCount;
        } else longRtt = longRtt * (1 - factor) + shortRtt * factor;
        const long = longRtt;
        if (long / shortRtt > 2) longRtt *= 0.95;
        if (o.inFlightAtStart < estimated / 2) return;
        const gradient = Math.max(0.5, Math.min(1, (params.rttTolerance * long) / shortRtt));
        const next = estimated * gradient + params.queueSize;
        const smoothed = estimated * (1 - params.smoothing) + next * params.smoothing;
        estimated = Math.max(params.minLimit, Math.min(params.maxLimit, smoothed));
        limit = Math.trunc(estimated);
      },
    };
  },
});
