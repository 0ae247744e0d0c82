/**
 * token-bucket: a rate limit per tenant (or per class). Each key has a bucket of `burst` tokens,
 * full at the start, refilled continuously at `rate` tokens per second; a request takes one token,
 * and with none left it is shed (`reject('rate-limited')`) or, with `queue: true`, waits in the
 * gateway queue until a later offer finds a token.
 *
 * Source: the classic token bucket (Envoy local rate limit `max_tokens` / `tokens_per_fill`,
 * NGINX `limit_req` burst, AWS API Gateway throttling rate and burst).
 * Defaults: `key: tenant`, `burst` = the key's rate (one second's worth, at least 1),
 * `queue: false`. `overrides` sets `rate` and/or `burst` for named keys (a tenant or class name). Requests without a tenant share the
 * bucket of key `''`.
 *
 * With `queue: true` the gateway re-offers the queue head only when a request finishes, not when
 * a token refills, and a head without a token holds back the whole queue (head-of-line).
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

interface Bucket {
  tokens: number;
  lastMs: number;
  /** Tokens per ms. */
  readonly perMs: number;
  readonly burst: number;
}

export default definePolicy({
  name: 'token-bucket',
  kind: 'admission',
  description: 'A token bucket per tenant or class: `rate` per second, up to `burst` at once.',
  params: z.strictObject({
    /** Tokens (requests) per second. */
    rate: z.number().positive(),
    /** Bucket size; default `rate` (at least 1). */
    burst: z.number().min(1).optional(),
    key: z.enum(['tenant', 'class']).default('tenant'),
    overrides: z
      .record(
        z.string(),
        z.strictObject({ rate: z.number().positive().optional(), burst: z.number().min(1).optional() }),
      )
      .default({}),
    queue: z.boolean().default(false),
  }),
  create(params, ctx) {
    const limited = reject('rate-limited');
    const buckets = new Map<string, Bucket>();
    const byClass = params.key === 'class';

    const bucketFor = (key: string): Bucket => {
      let b = buckets.get(key);
      if (!b) {
        const o = params.overrides[key];
        const rate = o?.rate ?? params.rate;
        const size = o?.burst ?? params.burst ?? Math.max(1, rate);
        b = { tokens: size, lastMs: ctx.now(), perMs: rate / 1000, burst: size };
        buckets.set(key, b);
      }
      return b;
    };

    return {
      admit(req) {
        const b = bucketFor(byClass ? req.className : (req.tenant ?? ''));
        const now = ctx.now();
        if (now > b.lastMs) {
          b.tokens = Math.min(b.burst, b.tokens + (now - b.lastMs) * b.perMs);
          b.lastMs = now;
        }
        if (b.tokens >= 1) {
          b.tokens -= 1;
          return 'admit';
        }
        return params.queue ? 'enqueue' : limited;
      },
    };
  },
});
