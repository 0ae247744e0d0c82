/**
 * threshold-router: RouteLLM's rule. A learned router scores how likely the cheap model is to
 * fall short on a request; above a threshold the request goes to the strong model, else to the
 * weak one. Here the score is the request's difficulty estimate (`RequestView.difficultyEstimate`,
 * whose accuracy the scenario's `quality.estimator` sets): the request goes to the `strong` model
 * when the estimate is above `threshold`, else to the `weak` one. A retry
 * (`context.attempt > 0`) goes to the strong model, as model-selection escalates.
 * Models: `weak` and `strong` name them; by default the weak one is the cheapest target's model
 * and the strong one the dearest's (price = inputPerMTok + outputPerMTok: the router sees prices,
 * not capabilities). Among a model's targets, the fewest in flight; ties to the first. A class
 * that may use neither named model (its `models`) gets the cheapest or dearest target it may use.
 * Without a `quality` section the estimate is NaN and everything goes to the weak model.
 * `threshold` 0 sends (almost) everything to the strong model, 1 everything to the weak one.
 * The router's own classifier call (`classifierLatencyMs`, `classifierCostUsd`, default 0) is
 * modelled by the gateway: once per request, before its first routing decision.
 * Source: RouteLLM (Ong et al., "RouteLLM: Learning to Route LLMs with Preference Data", 2024,
 * lm-sys/RouteLLM): a router computes a win-rate score per request and calls the strong model
 * when it exceeds a calibrated threshold.
 */
import { z } from 'zod';
import { definePolicy, reject, type TargetView } from '../src/gateway/policy.ts';

/** Longest classifier latency accepted (ms): a minute is already far beyond any router. */
const MAX_LATENCY_MS = 60_000;

export default definePolicy({
  name: 'threshold-router',
  kind: 'routing',
  description:
    'Strong model when the estimated difficulty exceeds a threshold, else the weak one (RouteLLM).',
  params: z.strictObject({
    threshold: z.number().min(0).max(1),
    weak: z.string().optional(),
    strong: z.string().optional(),
    classifierLatencyMs: z.number().min(0).max(MAX_LATENCY_MS).default(0),
    classifierCostUsd: z.number().min(0).max(1).default(0),
  }),
  create(params) {
    const noTarget = reject('no-target');
    const priceOf = (t: TargetView) => t.inputPerMTok + t.outputPerMTok;

    /** The offered target serving `model` with the fewest in flight (first among equals), or undefined. */
    const serving = (targets: readonly TargetView[], model: string): TargetView | undefined => {
      let best: TargetView | undefined;
      for (const t of targets)
        if (t.models.includes(model) && (!best || t.inFlight < best.inFlight)) best = t;
      return best;
    };
    /** The cheapest (or dearest) target, fewest in flight among equal prices, first among equals. */
    const byPrice = (targets: readonly TargetView[], dearest: boolean): TargetView => {
      let best = targets[0]!;
      for (let i = 1; i < targets.length; i++) {
        const t = targets[i]!;
        const d = priceOf(t) - priceOf(best);
        if ((dearest ? d > 0 : d < 0) || (d === 0 && t.inFlight < best.inFlight)) best = t;
      }
      return best;
    };
    const pick = (targets: readonly TargetView[], strong: boolean): TargetView => {
      const model = strong ? params.strong : params.weak;
      return (model !== undefined ? serving(targets, model) : undefined) ?? byPrice(targets, strong);
    };

    return {
      ...(params.classifierLatencyMs > 0 || params.classifierCostUsd > 0
        ? { classifier: { latencyMs: params.classifierLatencyMs, costUsd: params.classifierCostUsd } }
        : {}),
      route(req, targets, context) {
        if (targets.length === 0) return noTarget;
        return pick(targets, context.attempt > 0 || req.difficultyEstimate > params.threshold);
      },
    };
  },
});
