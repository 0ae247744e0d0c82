/**
 * priority-shedding: a concurrency cap that sheds low priority first. A request is admitted while
 * the gateway's in-flight count is below its priority's share of `limit`: `low` x limit for
 * priority < 0, `normal` x limit for priority 0, `high` x limit for priority > 0; otherwise it
 * is shed (`reject('priority-shed')`). As load rises, sheddable traffic is refused first and the
 * remaining headroom is reserved for more important requests.
 *
 * With `adaptive` the limit itself moves by the AIMD rule (src/gateway/aimd-limit.ts), starting
 * at `limit`: the priority shares partition an adaptive limit, as Netflix concurrency-limits'
 * partitioned limiter splits one limit among request groups by percentage.
 *
 * Source: criticality-based load shedding (Google SRE book ch. 21 "Handling Overload":
 * criticality levels, lower ones rejected first), here with static thresholds or an AIMD limit;
 * DAGOR (SoCC'18) adapts the admission level instead. Defaults: low 0.5, normal 0.8, high 1;
 * `limit` is required; `adaptive: { minLimit, maxLimit, backoffRatio, timeout, rtt }` with the
 * AIMD defaults (20, 200, 0.9, 5000 ms, latency).
 */
import { z } from 'zod';
import { aimdNext, aimdParams } from '../src/gateway/aimd-limit.ts';
import { definePolicy, reject } from '../src/gateway/policy.ts';

const fraction = z.number().gt(0).max(1);

export default definePolicy({
  name: 'priority-shedding',
  kind: 'admission',
  description: 'Concurrency cap with per-priority shares: low priority is shed first.',
  params: z.strictObject({
    limit: z.number().int().positive(),
    /** Share of `limit` open to priority < 0. */
    low: fraction.default(0.5),
    /** Share of `limit` open to priority 0. */
    normal: fraction.default(0.8),
    /** Share of `limit` open to priority > 0. */
    high: fraction.default(1),
    /** Move the limit by the AIMD rule, starting at `limit`. */
    adaptive: z
      .strictObject(aimdParams)
      .refine((p) => p.minLimit <= p.maxLimit, { message: 'minLimit must not exceed maxLimit' })
      .optional(),
  }),
  create(params) {
    const shed = reject('priority-shed');
    let limit = params.limit;
    const adaptive = params.adaptive;
    return {
      admit(req, gateway) {
        const p = req.priority;
        const share = p < 0 ? params.low : p > 0 ? params.high : params.normal;
        return gateway.inFlight < share * limit ? 'admit' : shed;
      },
      ...(adaptive
        ? {
            onOutcome(o) {
              limit = aimdNext(limit, o, adaptive);
            },
          }
        : {}),
    };
  },
});
