/**
 * deadline-queue: a concurrency cap with a queue that drops stale work. Admits while in-flight <
 * `limit`, else the request waits in the gateway queue; whenever a request is offered (on
 * arrival, or as the queue head), it is shed (`reject('deadline')`) if its deadline has passed
 * (now >= req.deadlineMs) or it has waited longer than `maxWait` ms, so capacity is never spent
 * on a request its client has given up on.
 *
 * Source: deadline-aware queueing (gRPC deadline propagation; Google SRE book ch. 22 "Addressing
 * Cascading Failures": drop requests whose deadline has passed rather than serve them).
 * Defaults: `maxWait` none (deadlines only); `limit` is required.
 *
 * The gateway's own `queue.maxWait` and class deadlines already shed waiting requests on a timer;
 * this policy also applies them when a request is dequeued, with its own `maxWait`.
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'deadline-queue',
  kind: 'admission',
  description: 'Cap `limit` in flight; queue the rest; shed requests past their deadline or `maxWait`.',
  params: z.strictObject({
    limit: z.number().int().positive(),
    /** Longest queue wait (ms) before a request is shed. */
    maxWait: z.number().positive().optional(),
  }),
  create(params, ctx) {
    const late = reject('deadline');
    const maxWait = params.maxWait ?? Number.POSITIVE_INFINITY;
    return {
      admit(req, gateway, waitedMs) {
        if (waitedMs > maxWait || ctx.now() >= req.deadlineMs) return late;
        return gateway.inFlight < params.limit ? 'admit' : 'enqueue';
      },
    };
  },
});
