/**
 * cascade: FrugalGPT's LLM cascade. A request goes to the cheapest model first; a scorer (the
 * judge) reads the answer and either accepts it or rejects it, and a rejected answer escalates to
 * the next stronger model, whose answer is judged in turn; the strongest model's answer is taken
 * as it is. Every call is paid for, and the judge's latency holds each judged answer back.
 * The ladder: `models` (weakest first) when given (targets serving none of them are used only
 * when the class may use no model of the ladder), else the targets' prices (inputPerMTok +
 * outputPerMTok), cheapest first. Among a rung's targets, the fewest in flight; ties to the first.
 * A retry after an error escalates too (`context.attempt > 0`: the rung above the previous
 * attempt's, or the top rung when there is none), as model-selection does.
 * The judge: `judge: { falseAccept, falseReject, latencyMs, costUsd }` (defaults 0): it rejects an
 * acceptable answer with probability `falseReject` and accepts an unacceptable one with
 * probability `falseAccept`. The gateway runs it (it knows, once the answer is reported, whether
 * the answer is acceptable: the scenario's `quality` section; without one every answer is) and
 * draws its errors from the stream `gateway/judge`; the policy itself never sees that truth.
 * Answers from the top rung a class may use are not judged.
 * Source: FrugalGPT (Chen, Zaharia and Zou, "FrugalGPT: How to Use Large Language Models While
 * Reducing Cost and Improving Performance", 2023): an LLM cascade with a learned scoring function
 * (a DistilBERT regressor) and per-model acceptance thresholds.
 */
import { z } from 'zod';
import { definePolicy, type JudgeCall, reject, type TargetView } from '../src/gateway/policy.ts';

/** Longest judge latency accepted (ms). */
const MAX_LATENCY_MS = 600_000;

export default definePolicy({
  name: 'cascade',
  kind: 'routing',
  description:
    'Cheapest model first; a judge accepts the answer or escalates to a stronger model (FrugalGPT).',
  params: z.strictObject({
    models: z.array(z.string()).min(1).optional(),
    judge: z
      .strictObject({
        falseAccept: z.number().min(0).max(1).default(0),
        falseReject: z.number().min(0).max(1).default(0),
        latencyMs: z.number().min(0).max(MAX_LATENCY_MS).default(0),
        costUsd: z.number().min(0).max(1).default(0),
      })
      .prefault({}),
  }),
  create(params) {
    const noTarget = reject('no-target');
    const ladder = params.models;
    const judge: JudgeCall = params.judge;
    /** Per target index: its rung (ladder position, or price; -1: not on the ladder). */
    const rungCache: number[] = [];
    const rungOf = (t: TargetView): number => {
      let r = rungCache[t.index];
      if (r === undefined) {
        if (!ladder) r = t.inputPerMTok + t.outputPerMTok;
        else {
          r = -1;
          for (const m of t.models) {
            const at = ladder.indexOf(m);
            if (at >= 0 && (r < 0 || at < r)) r = at;
          }
        }
        rungCache[t.index] = r;
      }
      return r;
    };
    /** Per class index: the top rung among the targets it was last offered (answers there are final). */
    const topRung: number[] = [];

    /** The target of rung `rung` with the fewest in flight (first among equals). */
    const onRung = (targets: readonly TargetView[], rung: number): TargetView => {
      let best: TargetView | undefined;
      for (const t of targets) if (rungOf(t) === rung && (!best || t.inFlight < best.inFlight)) best = t;
      return best!;
    };

    return {
      route(req, targets, context) {
        if (targets.length === 0) return noTarget;
        let lowest = Number.POSITIVE_INFINITY;
        let top = -1;
        for (const t of targets) {
          const r = rungOf(t);
          if (r < 0) continue;
          lowest = Math.min(lowest, r);
          top = Math.max(top, r);
        }
        topRung[req.classIndex] = top;
        // None of the ladder's models may serve the class: the first target, never judged.
        if (top < 0) return targets[0]!;
        const previous = context.previous;
        if (context.attempt > 0 && previous) {
          const from = rungOf(previous);
          let next = Number.POSITIVE_INFINITY;
          for (const t of targets) {
            const r = rungOf(t);
            if (r > from && r < next) next = r;
          }
          return onRung(targets, next < Number.POSITIVE_INFINITY ? next : top);
        }
        return onRung(targets, lowest);
      },
      judge(outcome) {
        const top = topRung[outcome.request.classIndex] ?? -1;
        const r = rungOf(outcome.target);
        return r >= 0 && r < top ? judge : undefined;
      },
    };
  },
});
