/**
 * vegas: an adaptive concurrency limit L from queueing delay, after TCP Vegas. Per attempt
 * outcome (RTT r, in-flight at its start n): rttNoLoad is the minimum RTT seen, re-probed (set to
 * the current sample) every jitter x probeMultiplier x L samples, jitter uniform in [0.5, 1);
 * otherwise, with queue = ceil(L x (1 - rttNoLoad / r)) and f = log10 L (an integer, at least 1
 * below 1000): on a drop L -= f; else if n x 2 < L keep L (app-limited); else if queue <= f
 * (threshold), L += 6f (beta); else if queue < 3f (alpha), L += f; else if queue > 6f, L -= f;
 * then L is clamped to [1, maxLimit] and smoothed, L = (1 - smoothing) L + smoothing L'.
 * Admits while in-flight < floor(L); over it sheds (`reject('over-limit')`) or queues (`queue`).
 *
 * Source: Netflix concurrency-limits `VegasLimit` (Log10RootIntFunction, probe with jitter), as of
 * commit 78a74b9 (2026-01); the rule is in src/gateway/vegas-limit.ts.
 * Defaults (Netflix's): initialLimit 20, maxLimit 1000, smoothing 1, probeMultiplier 30,
 * alpha { fn: log10, times: 3 }, beta { fn: log10, times: 6 }, threshold log10, increase log10
 * (L + log10 L), decrease log10 (L - log10 L); `rtt: latency`, `queue: false`.
 * Netflix's builder takes any function for alpha, beta, threshold, increase and decrease; here
 * each is a named choice: a constant, `log10` or `sqrt`, `{ fn, times, atLeast }` =
 * max(atLeast, times x fn(L)), and for increase/decrease also `{ factor }` (L x factor).
 * Opt-in deviations: `rtt: ttft` (time to first token) or `per-token` (latency / output tokens).
 * Drops are attempts with status timeout, overloaded, server_error or rate_limited; cancelled,
 * stream_cut and bad_request are ignored.
 */
import { z } from 'zod';
import { RTT_SIGNALS } from '../src/gateway/limiter-signal.ts';
import { definePolicy } from '../src/gateway/policy.ts';
import { limitAdmission } from '../src/gateway/sampled-limit.ts';
import { vegasLimit, vegasLimitParams } from '../src/gateway/vegas-limit.ts';

export default definePolicy({
  name: 'vegas',
  kind: 'admission',
  description: 'Netflix Vegas concurrency limit: grows while the estimated queue is small.',
  params: z.strictObject({
    ...vegasLimitParams,
    rtt: z.enum(RTT_SIGNALS).default('latency'),
    queue: z.boolean().default(false),
  }),
  create(params, ctx) {
    return limitAdmission(vegasLimit(params, ctx.random), params);
  },
});
