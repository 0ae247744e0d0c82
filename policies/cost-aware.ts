/**
 * cost-aware: the cheapest target whose observed TTFT meets the request's class target
 * (`req.slo.ttftMs`; a target not yet observed counts as meeting it); when none does, the fastest
 * observed target. Price of a request on a target: inputPerMTok x promptTokens + outputPerMTok x
 * `outputTokens` (the expected output, a parameter: the true length is not known at routing).
 * Observed TTFT is an EWMA (`alpha`, default 0.2, about the span of LiteLLM's mean of the last 10
 * samples) of each attempt's time to first token; an attempt that timed out before any token
 * contributes its latency (a lower bound on its TTFT), so a target that only times out is not
 * mistaken for an unmeasured one.
 * Source: LiteLLM `cost-based-routing` (cheapest deployment) combined with its
 * `latency-based-routing` TTFT signal, as an SLO filter (RouteLLM-style cost/quality trade-offs
 * route on a bar, then on price).
 * Tie-break: the first target in the list, both among equally cheap and equally fast targets.
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'cost-aware',
  kind: 'routing',
  description: 'Cheapest target meeting the class TTFT target; else the fastest observed.',
  params: z.strictObject({
    outputTokens: z.number().min(0).default(256),
    alpha: z.number().gt(0).max(1).default(0.2),
  }),
  create(params) {
    const noTarget = reject('no-target');
    const alpha = params.alpha;
    /** Per target index: TTFT EWMA (ms), NaN before any sample. */
    const ttft: number[] = [];
    const observe = (i: number, ms: number) => {
      const e = ttft[i];
      ttft[i] = e === undefined || Number.isNaN(e) ? ms : e + alpha * (ms - e);
    };
    return {
      route(req, targets) {
        const n = targets.length;
        if (n === 0) return noTarget;
        const slo = req.slo.ttftMs;
        const out = params.outputTokens;
        let cheapest = -1;
        let cheapestPrice = Number.POSITIVE_INFINITY;
        let fastest = -1;
        let fastestMs = Number.POSITIVE_INFINITY;
        for (let k = 0; k < n; k++) {
          const t = targets[k]!;
          const e = ttft[t.index] ?? Number.NaN;
          if (!(e > slo)) {
            // Meets the target (or not observed yet).
            const price = t.inputPerMTok * req.promptTokens + t.outputPerMTok * out;
            if (price < cheapestPrice) {
              cheapestPrice = price;
              cheapest = k;
            }
          } else if (e < fastestMs) {
            fastestMs = e;
            fastest = k;
          }
        }
        return targets[cheapest >= 0 ? cheapest : Math.max(fastest, 0)]!;
      },
      onOutcome(o) {
        if (!Number.isNaN(o.ttftMs)) observe(o.target.index, o.ttftMs);
        else if (o.status === 'timeout') observe(o.target.index, o.latencyMs);
      },
    };
  },
});
