/**
 * sre-throttle: Google SRE client-side adaptive throttling. Over the last `window` ms it counts
 * requests (attempts whose outcome came back, plus the tries this policy rejected itself) and
 * accepts (attempts whose status is not one of the variant's `failures`); a new request is
 * rejected locally (`reject('throttled')`) with probability
 * max(0, (requests - protection - K x accepts) / (requests + 1)), drawn from ctx.random().
 * Cancelled attempts are not counted. Counts are kept in `bucketMs` buckets.
 *
 * `variant` picks the source, and with it every default (each a parameter too):
 * - `book` (default): Beyer et al., Site Reliability Engineering (O'Reilly 2016), ch. 21
 *   "Handling Overload", "Client-side throttling": K 2, window 2 minutes (1 s buckets); accepts
 *   are the requests the backend did not reject for overload (failures: rate_limited (429),
 *   overloaded (503)); requests are counted "at the client, on top of the adaptive throttling
 *   system", so local rejections count as requests, never as accepts.
 * - `kratos`: go-kratos/aegis circuitbreaker/sre (v0.2, 2025) as kratos' circuit breaker
 *   middleware runs it: K = 1 / success = 1 / 0.6, window 3 s in 10 buckets (300 ms), and below
 *   `minRequests` (100) requests in the window it always allows; failures are 500, 503 and 504
 *   (server_error, overloaded, timeout), a local rejection is marked failed.
 * - `go-zero`: zeromicro/go-zero core/breaker/googlebreaker.go (v1.7+, 2024): window 10 s in 40
 *   buckets (250 ms), `protection` 5 requests subtracted, K 1.5 lowered towards 1.1 by the share
 *   of trailing buckets that saw only failures (K - 0.4 x failing / 40); the drop ratio is scaled
 *   by the share of buckets not in the trailing run of buckets with successes and no failures
 *   ((40 - working) / 40); and once a request has passed where it could have been dropped, a
 *   request more than 1 s after the last such pass is let through. Failures, as zrpc's breaker
 *   counts them: DeadlineExceeded, Internal, Unavailable, ResourceExhausted (timeout,
 *   server_error, overloaded, rate_limited); local drops count as requests.
 * `countRejected: false` counts attempts only (an opt-in departure from all three sources).
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

const FAILURE_STATUSES = [
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'stream_cut',
  'bad_request',
] as const;

/** Each variant's source defaults. */
const VARIANTS = {
  book: {
    window: 120_000,
    buckets: 0,
    bucketMs: 1000,
    K: 2,
    minRequests: 0,
    protection: 0,
    failures: ['rate_limited', 'overloaded'],
  },
  kratos: {
    window: 3000,
    buckets: 10,
    bucketMs: 0,
    K: 1 / 0.6,
    minRequests: 100,
    protection: 0,
    failures: ['server_error', 'overloaded', 'timeout'],
  },
  'go-zero': {
    window: 10_000,
    buckets: 40,
    bucketMs: 0,
    K: 1.5,
    minRequests: 0,
    protection: 5,
    failures: ['timeout', 'server_error', 'overloaded', 'rate_limited'],
  },
} as const;

/** go-zero's lowest weighted K, its forced pass interval, and the bucket count its weights divide by. */
const GO_ZERO_MIN_K = 1.1;
const GO_ZERO_BUCKETS = 40;
const GO_ZERO_FORCE_PASS_MS = 1000;

const paramsSchema = z.strictObject({
  variant: z.enum(['book', 'kratos', 'go-zero']).default('book'),
  /** Counting window (ms). */
  window: z.number().positive().optional(),
  /** Granularity of the sliding window (ms); kratos and go-zero: window / their bucket count. */
  bucketMs: z.number().positive().optional(),
  K: z.number().min(1).optional(),
  /** Below this many requests in the window, always allow (kratos `request`). */
  minRequests: z.number().int().min(0).optional(),
  /** Requests subtracted before the ratio (go-zero `protection`). */
  protection: z.number().min(0).optional(),
  /** Statuses that are not accepts. */
  failures: z.array(z.enum(FAILURE_STATUSES)).optional(),
  countRejected: z.boolean().default(true),
});

/** The parameters with the variant's defaults filled in. */
function resolve(p: z.infer<typeof paramsSchema>) {
  const v = VARIANTS[p.variant];
  const window = p.window ?? v.window;
  return {
    variant: p.variant,
    window,
    bucketMs: p.bucketMs ?? (v.buckets > 0 ? window / v.buckets : v.bucketMs),
    K: p.K ?? v.K,
    minRequests: p.minRequests ?? v.minRequests,
    protection: p.protection ?? v.protection,
    failures: new Set<string>(p.failures ?? v.failures),
    countRejected: p.countRejected,
  };
}

export default definePolicy({
  name: 'sre-throttle',
  kind: 'admission',
  description:
    'Google SRE adaptive throttling: reject with p = (requests - K accepts) / (requests + 1); variant: book (default), kratos, go-zero.',
  params: paramsSchema.refine((p) => resolve(p).bucketMs <= resolve(p).window, {
    message: 'bucketMs must not exceed window',
  }),
  create(raw, ctx) {
    const params = resolve(raw);
    const throttled = reject('throttled');
    const { bucketMs, K, failures } = params;
    const goZero = params.variant === 'go-zero';
    const n = Math.ceil(params.window / bucketMs);
    const requests = new Float64Array(n);
    const accepts = new Float64Array(n);
    /** Failed attempts per bucket (go-zero reads its trailing failing and working buckets). */
    const failed = new Float64Array(n);
    let head = 0; // absolute index of the newest bucket
    let slot = 0; // head % n
    let totalRequests = 0;
    let totalAccepts = 0;
    /** go-zero: when a request last passed where it could have been dropped (-1: never). */
    let lastPass = -1;
    /** go-zero: the request being decided could be dropped (its unscaled ratio is above 0). */
    let droppable = false;

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
        failed[slot] = 0;
      }
      head = b;
      slot = b % n;
    };

    /** go-zero's drop ratio: K weighted by trailing failing buckets, scaled by trailing working ones. */
    const goZeroRatio = (): number => {
      let failing = 0;
      let working = 0;
      for (let k = 1; k <= n; k++) {
        const s = (slot + k) % n; // oldest to newest
        if (failed[s]! > 0) working = 0;
        else if (accepts[s]! > 0) working++;
        if (accepts[s]! > 0) failing = 0;
        else if (failed[s]! > 0) failing++;
      }
      // go-zero divides by its constant 40 buckets, also when a window holds another number.
      const w = Math.max(K - ((K - GO_ZERO_MIN_K) * failing) / GO_ZERO_BUCKETS, GO_ZERO_MIN_K);
      const ratio = (totalRequests - params.protection - w * totalAccepts) / (totalRequests + 1);
      droppable = false;
      if (ratio <= 0) return 0;
      const now = ctx.now();
      if (lastPass >= 0 && now - lastPass > GO_ZERO_FORCE_PASS_MS) {
        lastPass = now;
        return 0;
      }
      droppable = true;
      return (ratio * (GO_ZERO_BUCKETS - working)) / GO_ZERO_BUCKETS;
    };

    return {
      admit() {
        advance();
        let p: number;
        if (goZero) p = goZeroRatio();
        else if (totalRequests < params.minRequests) p = 0;
        else p = (totalRequests - params.protection - K * totalAccepts) / (totalRequests + 1);
        if (p > 0 && ctx.random() < p) {
          if (params.countRejected) {
            requests[slot] = requests[slot]! + 1;
            totalRequests++;
          }
          return throttled;
        }
        if (goZero && droppable) lastPass = ctx.now();
        return 'admit';
      },
      onOutcome(o) {
        if (o.status === 'cancelled') return;
        advance();
        requests[slot] = requests[slot]! + 1;
        totalRequests++;
        if (failures.has(o.status)) {
          failed[slot] = failed[slot]! + 1;
        } else {
          accepts[slot] = accepts[slot]! + 1;
          totalAccepts++;
        }
      },
    };
  },
});
