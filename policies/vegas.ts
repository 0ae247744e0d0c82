/**
 * vegas: an adaptive concurrency limit L from queueing delay, after TCP Vegas. Per attempt
 * outcome (RTT r, in-flight at its start n): rttNoLoad is the minimum RTT seen, re-probed (set to
 * the current sample) every jitter x probeMultiplier x L samples, jitter uniform in [0.5, 1);
 * otherwise, with queue = ceil(L x (1 - rttNoLoad / r)) and f = log10 L (an integer, at least 1;
 * sqrt L from 1000 up): on a drop L -= f; else if n x 2 < L keep L (app-limited); else if
 * queue <= f, L += 6f (beta); else if queue < 3f (alpha), L += f; else if queue > 6f, L -= f;
 * then L is clamped to [1, maxLimit] and smoothed, L = (1 - smoothing) L + smoothing L'.
 * Admits while in-flight < floor(L); over it sheds (`reject('over-limit')`) or queues (`queue`).
 *
 * Source: Netflix concurrency-limits `VegasLimit` (`Log10RootFunction`, probe with jitter).
 * Defaults (Netflix's): initialLimit 20, maxLimit 1000, smoothing 1, probeMultiplier 30;
 * `rtt: latency` (or `ttft`), `queue: false`. Drops are attempts with status timeout,
 * overloaded, server_error or rate_limited; cancelled, stream_cut and bad_request are ignored.
 */
import { z } from 'zod';
import { limiterRtt, limiterSignal } from '../src/gateway/limiter-signal.ts';
import { definePolicy, reject } from '../src/gateway/policy.ts';

/** Netflix's Log10RootFunction: max(1, floor(log10 n)) below 1000, floor(sqrt n) from 1000. */
function log10Root(n: number): number {
  const i = Math.trunc(n);
  return i < 1000 ? (i < 10 ? 1 : Math.floor(Math.log10(i) + 1e-12)) : Math.floor(Math.sqrt(i));
}

export default definePolicy({
  name: 'vegas',
  kind: 'admission',
  description: 'Netflix Vegas concurrency limit: grows while the estimated queue is small.',
  params: z.strictObject({
    initialLimit: z.number().int().positive().default(20),
    maxLimit: z.number().int().positive().default(1000),
    smoothing: z.number().gt(0).max(1).default(1),
    /** Re-probe rttNoLoad every jitter x probeMultiplier x limit samples (jitter in [0.5, 1)). */
    probeMultiplier: z.number().int().positive().default(30),
    rtt: z.enum(['latency', 'ttft']).default('latency'),
    queue: z.boolean().default(false),
  }),
  create(params, ctx) {
    // What a request over the limit gets: fixed at creation.
    const whenFull = params.queue ? 'enqueue' : reject('over-limit');
    const useTtft = params.rtt === 'ttft';
    let estimated = params.initialLimit;
    let limit = Math.trunc(estimated);
    let rttNoLoad = 0;
    let probeCount = 0;
    let probeJitter = 0.5 + 0.5 * ctx.random();

    const update = (rtt: number, inflight: number, drop: boolean): void => {
      const queueSize = Math.ceil(estimated * (1 - rttNoLoad / rtt));
      let next: number;
      if (drop) next = estimated - log10Root(estimated);
      else if (inflight * 2 < estimated) return;
      else {
        const f = log10Root(estimated);
        const alpha = 3 * f;
        const beta = 6 * f;
        if (queueSize <= f) next = estimated + beta;
        else if (queueSize < alpha) next = estimated + f;
        else if (queueSize > beta) next = estimated - f;
        else return;
      }
      next = Math.max(1, Math.min(params.maxLimit, next));
      estimated = (1 - params.smoothing) * estimated + params.smoothing * next;
      limit = Math.trunc(estimated);
    };

    return {
      admit(_req, gateway) {
        if (gateway.inFlight < limit) return 'admit';
        return whenFull;
      },
      onOutcome(o) {
        const signal = limiterSignal(o.status);
        if (signal === 'ignore') return;
        const drop = signal === 'drop';
        const rtt = limiterRtt(o, useTtft);
        if (!(rtt > 0)) return; // Netflix requires rtt > 0
        probeCount++;
        if (probeJitter * params.probeMultiplier * estimated <= probeCount) {
          probeJitter = 0.5 + 0.5 * ctx.random();
          probeCount = 0;
          rttNoLoad = rtt;
          return;
        }
        if (rttNoLoad === 0 || rtt < rttNoLoad) {
          rttNoLoad = rtt;
          return;
        }
        update(rtt, o.inFlightAtStart, drop);
      },
    };
  },
});
