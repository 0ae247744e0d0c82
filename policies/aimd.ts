/**
 * aimd: an adaptive concurrency limit L, loss based. Per attempt outcome: on a drop (status
 * timeout, overloaded, server_error or rate_limited) or an RTT over `timeout`,
 * L = floor(backoffRatio x L); otherwise, if the attempt's in-flight count at its start x 2 >= L,
 * L = L + 1; then L is clamped to [minLimit, maxLimit]. Admits while in-flight < L; over it the
 * request is shed (`reject('over-limit')`) or waits in the gateway queue (`queue: true`).
 *
 * Source: Netflix concurrency-limits `AIMDLimit` (+ `SimpleLimiter`: admit while inflight < limit;
 * the sample's inflight is the count when the call started, itself included).
 * Defaults (Netflix's): initialLimit 20, minLimit 20, maxLimit 200, backoffRatio 0.9,
 * timeout 5000 ms (minLimit may be 0, as in Netflix: a limit that backs off to 0 admits nothing
 * and stays there); `rtt: latency` (attempt start to end; `ttft` uses time to first token, a
 * better load signal for long streamed generations, whose full latency often exceeds 5 s;
 * `per-token`, latency / max(1, output tokens), against a per-token `timeout`),
 * `queue: false`.
 * Attempts that were cancelled, cut mid-stream or answered bad_request are ignored (Netflix
 * `onIgnore`): they say nothing about load.
 */
import { z } from 'zod';
import { aimdNext, aimdParams } from '../src/gateway/aimd-limit.ts';
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'aimd',
  kind: 'admission',
  description: 'Netflix AIMD concurrency limit: +1 while busy, x backoffRatio on a drop.',
  params: z
    .strictObject({
      initialLimit: z.number().int().positive().default(20),
      ...aimdParams,
      queue: z.boolean().default(false),
    })
    .refine((p) => p.minLimit <= p.maxLimit, { message: 'minLimit must not exceed maxLimit' }),
  create(params) {
    // What a request over the limit gets: fixed at creation.
    const whenFull = params.queue ? 'enqueue' : reject('over-limit');
    let limit = params.initialLimit;
    return {
      admit(_req, gateway) {
        if (gateway.inFlight < limit) return 'admit';
        return whenFull;
      },
      onOutcome(o) {
        limit = aimdNext(limit, o, params);
      },
    };
  },
});
