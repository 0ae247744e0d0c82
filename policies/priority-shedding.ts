/**
 * priority-shedding: a concurrency cap that sheds low priority first. A request is admitted while
 * the gateway's in-flight count is below its priority's share of `limit`: `low` x limit for
 * priority < 0, `normal` x limit for priority 0, `high` x limit for priority > 0; otherwise it
 * is shed (`reject('priority-shed')`). As load rises, sheddable traffic is refused first and the
 * remaining headroom is reserved for more important requests.
 *
 * Source: criticality-based load shedding (Google SRE book ch. 21 "Handling Overload":
 * criticality levels, lower ones rejected first), here with static thresholds; DAGOR (SoCC'18)
 * adapts the admission level instead. Defaults: low 0.5, normal 0.8, high 1; `limit` is required.
 */
import { z } from 'zod';
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
  }),
  create(params) {
    const shed = reject('priority-shed');
    const lowCap = params.low * params.limit;
    const normalCap = params.normal * params.limit;
    const highCap = params.high * params.limit;
    return {
      admit(req, gateway) {
        const p = req.priority;
        const cap = p < 0 ? lowCap : p > 0 ? highCap : normalCap;
        return gateway.inFlight < cap ? 'admit' : shed;
      },
    };
  },
});
