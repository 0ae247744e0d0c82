/**
 * codel: a concurrency cap (`limit`) whose gateway queue is managed by CoDel. Over the cap a
 * request waits in the queue; each time the queue head is offered with a free slot it is
 * dequeued, and its queue wait (sojourn time) drives the drop decision:
 *
 * - `variant: rfc8289` (default): once the sojourn time has stayed at or above `target` for a
 *   whole `interval` (and more than one request waits behind the head), CoDel enters the dropping state
 *   and sheds the head (`reject('codel')`); while every head stays above target it sheds one more
 *   at each drop time, the next drop being interval / sqrt(count) after the previous (count drops
 *   so far, resumed near its previous value if dropping restarts within 16 intervals); one head
 *   below target ends the dropping state.
 * - `variant: adaptive-lifo` (Facebook's "Fail at Scale" variant): a request's queue timeout is
 *   `target` if, when it joined the queue, the queue had not been empty for the last `interval`
 *   ms, else `interval`; a head that waited longer than its timeout is shed. The LIFO part is the
 *   queue order itself: a scenario using this variant should set `gateway.queue.order: lifo`
 *   (newest first, so the requests served are the fresh ones while the backlog times out).
 *
 * Source: RFC 8289 (Controlled Delay AQM), section 5 pseudocode (`dodequeue`, `control_law`);
 * Maurer, "Fail at Scale", ACM Queue 13(8), 2015 (controlled delay with adaptive LIFO).
 * Defaults: target 5 ms, interval 100 ms (RFC 8289's; Facebook's M = 5 ms, N = 100 ms),
 * variant rfc8289; `limit` is required.
 *
 * The gateway offers the head only when a request finishes (or on arrival, when the queue is
 * empty), so drops happen at dequeue time, as in CoDel; requests further back are only judged
 * once they reach the head.
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'codel',
  kind: 'admission',
  description:
    'CoDel (RFC 8289) or adaptive-LIFO queue timeouts for the gateway queue, under a concurrency cap.',
  params: z.strictObject({
    /** Concurrency cap: admit while in-flight < limit, else enqueue. */
    limit: z.number().int().positive(),
    /** Acceptable standing queue delay (ms); Facebook's M. */
    target: z.number().positive().default(5),
    /** Sliding window (ms) over which the minimum delay must exceed target; Facebook's N. */
    interval: z.number().positive().default(100),
    variant: z.enum(['rfc8289', 'adaptive-lifo']).default('rfc8289'),
  }),
  create(params, ctx) {
    const shed = reject('codel');
    const { limit, target, interval } = params;

    // RFC 8289 state.
    let firstAboveTime = Number.NaN; // NaN: unset (RFC's 0)
    let dropping = false;
    let dropNext = 0;
    let count = 0;
    let lastCount = 0;

    /** RFC 8289 dodequeue: whether the dequeued request (sojourn `waited`) may be dropped. */
    const okToDrop = (now: number, waited: number, queued: number): boolean => {
      // The RFC's "bytes() <= MAXPACKET", in requests: at most one left after this one
      // (`queued` counts the head itself).
      if (waited < target || queued - 1 <= 1) {
        firstAboveTime = Number.NaN;
        return false;
      }
      if (Number.isNaN(firstAboveTime)) {
        firstAboveTime = now + interval;
        return false;
      }
      return now >= firstAboveTime;
    };

    const rfc8289 = (waited: number, queued: number) => {
      const now = ctx.now();
      const ok = okToDrop(now, waited, queued);
      if (dropping) {
        if (!ok) {
          dropping = false;
          return 'admit' as const;
        }
        if (now >= dropNext) {
          count++;
          dropNext += interval / Math.sqrt(count);
          return shed;
        }
        return 'admit' as const;
      }
      if (ok) {
        dropping = true;
        const delta = count - lastCount;
        count = delta > 1 && now - dropNext < 16 * interval ? delta : 1;
        dropNext = now + interval / Math.sqrt(count);
        lastCount = count;
        return shed;
      }
      return 'admit' as const;
    };

    // Adaptive LIFO: when the current non-empty spell of the queue began.
    let nonEmptySince = Number.NaN;

    const adaptiveLifo = (waited: number) => {
      const joined = ctx.now() - waited;
      const timeout = joined - nonEmptySince > interval ? target : interval;
      return waited > timeout ? shed : ('admit' as const);
    };

    return {
      admit(_req, gateway, waitedMs) {
        if (gateway.inFlight >= limit) {
          // The queue can only go from empty to non-empty here (an arrival finding it empty).
          if (gateway.queued === 0) nonEmptySince = ctx.now();
          return 'enqueue';
        }
        return params.variant === 'rfc8289' ? rfc8289(waitedMs, gateway.queued) : adaptiveLifo(waitedMs);
      },
    };
  },
});
