/**
 * model-selection: each class goes to the cheapest target whose model quality meets the class's
 * bar, and a retry escalates: on a retry (`context.attempt > 0`) the request goes to the next
 * better model than the previous attempt's (the lowest quality strictly above it, cheapest among
 * equals), or, when there is none, to the best model there is.
 * Quality: `quality: { <model>: score }`; a target's is the best score among its models (its name
 * is tried when none of its models is listed; otherwise 0). Bar: `bars: { <class>: score }`
 * (default 0). Price: the target's inputPerMTok + outputPerMTok. When no target meets the bar,
 * the best-quality one (cheapest among equals).
 * Source: RouteLLM (lm-sys) and LiteLLM's cost-based routing: send to the cheap model when it is
 * good enough for the request, escalate to a stronger model otherwise (here the "good enough"
 * test is a per-class quality bar, and a failed attempt counts as "not good enough").
 * Tie-break: the first target in the list among equally cheap (and equally good) targets.
 */
import { z } from 'zod';
import { definePolicy, reject, type TargetView } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'model-selection',
  kind: 'routing',
  description: 'Cheapest model meeting the class quality bar; retries escalate to a better model.',
  params: z.strictObject({
    quality: z.record(z.string(), z.number()),
    bars: z.record(z.string(), z.number()).default({}),
  }),
  create(params) {
    const noTarget = reject('no-target');
    /** Per target index: its quality score. */
    const qualityCache: number[] = [];
    const qualityOf = (t: TargetView): number => {
      let q = qualityCache[t.index];
      if (q === undefined) {
        q = Number.NEGATIVE_INFINITY;
        for (const m of t.models) {
          const s = params.quality[m];
          if (s !== undefined && s > q) q = s;
        }
        if (q === Number.NEGATIVE_INFINITY) q = params.quality[t.name] ?? 0;
        qualityCache[t.index] = q;
      }
      return q;
    };
    const priceOf = (t: TargetView) => t.inputPerMTok + t.outputPerMTok;

    /** Cheapest target of quality in [lo, hi] (first among equals), or -1. */
    const cheapestBetween = (targets: readonly TargetView[], lo: number, hi: number): number => {
      let best = -1;
      let bestPrice = Number.POSITIVE_INFINITY;
      for (let k = 0; k < targets.length; k++) {
        const t = targets[k]!;
        const q = qualityOf(t);
        if (q < lo || q > hi) continue;
        const p = priceOf(t);
        if (best < 0 || p < bestPrice) {
          best = k;
          bestPrice = p;
        }
      }
      return best;
    };

    /** The best quality present, cheapest among equals. */
    const bestQuality = (targets: readonly TargetView[]): TargetView => {
      let top = Number.NEGATIVE_INFINITY;
      for (const t of targets) top = Math.max(top, qualityOf(t));
      return targets[cheapestBetween(targets, top, top)]!;
    };

    return {
      route(req, targets, context) {
        if (targets.length === 0) return noTarget;
        const previous = context.previous;
        if (context.attempt > 0 && previous) {
          const pq = qualityOf(previous);
          let next = Number.POSITIVE_INFINITY;
          for (const t of targets) {
            const q = qualityOf(t);
            if (q > pq && q < next) next = q;
          }
          if (next < Number.POSITIVE_INFINITY) return targets[cheapestBetween(targets, next, next)]!;
          return bestQuality(targets);
        }
        const bar = params.bars[req.className] ?? 0;
        const k = cheapestBetween(targets, bar, Number.POSITIVE_INFINITY);
        return k >= 0 ? targets[k]! : bestQuality(targets);
      },
    };
  },
});
