/**
 * sre-throttle: Google SRE client-side adaptive throttling. Over the last `window` ms it counts
 * requests (attempts whose outcome came back, plus the tries this policy rejected itself) and
 * accepts (attempts the backend did not reject for overload: any status but rate_limited (429)
 * and overloaded (503)); a new request is rejected locally (`reject('throttled')`) with
 * probability max(0, (requests - K x accepts) / (requests + 1)), drawn from ctx.random().
 *
 * Source: Beyer et al., Site Reliability Engineering (O'Reilly 2016), ch. 21 "Handling Overload",
 * "Client-side throttling": requests are counted "at the client, on top of the adaptive
 * throttling system", so local rejections count as requests but never as accepts
 * (`countRejected: false` counts attempts only). Defaults: window 2 minutes, K = 2,
 * counts kept in 1 s buckets (`bucketMs`). Cancelled attempts are not counted.
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'sre-throttle',
  kind: 'admission',
  description: 'Google SRE adaptive throttling: reject with p = (requests - K accepts) / (requests + 1).',
  params: z
    .strictObject({
      /** Counting window (ms). */
      window: z.number().positive().default(120_000),
      /** Granularity of the sliding window (ms). */
      bucketMs: z.number().positive().default(1000),
      K: z.number().min(1).default(2),
      countRejected: z.boolean().default(true),
    })
    .refine((p) => p.bucketMs <= p.window, { message: 'bucketMs must not exceed window' }),
  create(params, ctx) {
    const throttled = reject('throttled');
    const { bucketMs, K } = params;
    const n = Math.ceil(params.window / bucketMs);
    const requests = new Float64Array(n);
    const accepts = new Float64Array(n);
    let head = 0; // absolute index of the newest bucket
    let slot = 0; // head % n
    let totalRequests = 0;
    let totalAccepts = 0;

    /** Moves the window to now, emptying the buckets that fell out of it. */
    const advance = (): void => {
      const b = Math.floor(ctx.now() / bucketMs);
      if (b <= head) return;
      const steps = Math.min(b - head, n);
      for (let i = 0; i < steps; i++) {
        slot = slot + 1 === n ? 0 : slot + 1;
        totalRequests -= requests[slot]!;
        totalAccepts -= accepts[slot]!;
        requests[slot] = 0;
        accepts[slot] = 0;
      }
      head = b;
      slot = b % n;
    };

    return {
      admit() {
        advance();
        const p = (totalRequests - K * totalAccepts) / (totalRequests + 1);
        if (p > 0 && ctx.random() < p) {
          if (params.countRejected) {
            requests[slot] = requests[slot]! + 1;
            totalRequests++;
          }
          return throttled;
        }
        return 'admit';
      },
      onOutcome(o) {
        if (o.status === 'cancelled') return;
        advance();
        requests[slot] = requests[slot]! + 1;
        totalRequests++;
        if (o.status !== 'rate_limited' && o.status !== 'overloaded') {
          accepts[slot] = accepts[slot]! + 1;
          totalAccepts++;
        }
      },
    };
  },
});
