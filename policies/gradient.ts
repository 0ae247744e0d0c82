/**
 * gradient: an adaptive concurrency limit L from the gradient between the minimum RTT seen and
 * the current one, allowing a queue of about sqrt L. Per attempt outcome (RTT r, in-flight at its
 * start n), with q = max(4, floor(sqrt L)): rttNoLoad = the minimum RTT seen;
 * g = clamp(2 x rttNoLoad / r, 0.5, 1); on a drop L' = 0.9 L; n < L / 2: keep (app-limited);
 * else L' = L x g + q; a decrease is smoothed, L' = max(minLimit, 0.8 L + 0.2 L'); then
 * L = max(q, min(maxLimit, L')). Every 1000 + U{0..999} samples L restarts at max(minLimit, q)
 * and rttNoLoad is forgotten (Netflix cuts the limit so it does not drift up under load).
 * Admits while in-flight < floor(L); over it sheds (`reject('over-limit')`) or queues (`queue`).
 *
 * Source: Netflix concurrency-limits `GradientLimit` (v1; `Gradient2Limit` is `gradient2`), as of
 * commit 78a74b9 (2026-01); the rule is in src/gateway/gradient-limit.ts.
 * Defaults (Netflix's): initialLimit 50, minLimit 1, maxLimit 1000, smoothing 0.2, queueSize
 * { fn: sqrt, atLeast: 4 } (or a constant, or another named function), rttTolerance 2,
 * probeInterval 1000 (-1: never probe), backoffRatio 0.9; `rtt: latency`, `queue: false`.
 * Opt-in deviations: `rtt: ttft` or `per-token` (latency / output tokens).
 * Drops are attempts with status timeout, overloaded, server_error or rate_limited; cancelled,
 * stream_cut and bad_request are ignored; a zero RTT is skipped (it has no gradient).
 */
import { z } from 'zod';
import { gradientLimit, gradientLimitParams } from '../src/gateway/gradient-limit.ts';
import { RTT_SIGNALS } from '../src/gateway/limiter-signal.ts';
import { definePolicy } from '../src/gateway/policy.ts';
import { limitAdmission } from '../src/gateway/sampled-limit.ts';

export default definePolicy({
  name: 'gradient',
  kind: 'admission',
  description: 'Netflix Gradient (v1) concurrency limit: min RTT vs current RTT gradient.',
  params: z
    .strictObject({
      ...gradientLimitParams,
      rtt: z.enum(RTT_SIGNALS).default('latency'),
      queue: z.boolean().default(false),
    })
    .refine((p) => p.minLimit <= p.maxLimit, { message: 'minLimit must not exceed maxLimit' }),
  create(params, ctx) {
    return limitAdmission(gradientLimit(params, ctx.random), params);
  },
});
