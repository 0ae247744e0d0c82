/**
 * concurrency-limit: a static cap on requests in flight at the gateway. Over the cap a request
 * waits in the gateway queue (`queue: true`, the default) or is shed at once (`queue: false`).
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'concurrency-limit',
  kind: 'admission',
  description: 'At most `limit` in flight; the rest wait or are shed.',
  params: z.strictObject({
    limit: z.number().int().positive(),
    queue: z.boolean().default(true),
  }),
  create(params) {
    // What a request over the limit gets: fixed at creation.
    const whenFull = params.queue ? 'enqueue' : reject('over-limit');
    return {
      admit(_req, gateway) {
        if (gateway.inFlight < params.limit) return 'admit';
        return whenFull;
      },
    };
  },
});
