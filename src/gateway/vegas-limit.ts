/**
 * Netflix concurrency-limits `VegasLimit` as a sampled limit (the `vegas` policy, and an inner
 * limit of `windowed`). Per sample (RTT r, in-flight n): every jitter x probeMultiplier x L
 * samples (jitter uniform in [0.5, 1)) rttNoLoad := r; else a new minimum sets rttNoLoad; else,
 * with queue = ceil(L (1 - rttNoLoad / r)): on a drop L' = decrease(L); n x 2 < L: keep;
 * queue <= threshold(L): L' = L + beta(L); queue < alpha(L): L' = increase(L);
 * queue > beta(L): L' = decrease(L); else keep. Then L' in [1, maxLimit], L = (1 - s) L + s L'.
 * The functions take floor(L). Defaults (Netflix's, VegasLimit.Builder): alpha 3 log10,
 * beta 6 log10, threshold log10, increase + log10, decrease - log10 (Log10RootIntFunction).
 */
import { z } from 'zod';
import {
  applyLimitChange,
  type LimitChange,
  type LimitStep,
  limitChangeSchema,
  limitStep,
  limitStepSchema,
} from './limit-functions.ts';
import type { SampledLimit } from './sampled-limit.ts';

export const vegasLimitParams = {
  initialLimit: z.number().int().positive().default(20),
  /** Netflix `maxConcurrency`. */
  maxLimit: z.number().int().positive().default(1000),
  smoothing: z.number().gt(0).max(1).default(1),
  /** Re-probe rttNoLoad every jitter x probeMultiplier x limit samples (jitter in [0.5, 1)). */
  probeMultiplier: z.number().int().positive().default(30),
  alpha: limitStepSchema.default({ fn: 'log10', times: 3, atLeast: 0 }),
  beta: limitStepSchema.default({ fn: 'log10', times: 6, atLeast: 0 }),
  threshold: limitStepSchema.default('log10'),
  increase: limitChangeSchema.default('log10'),
  decrease: limitChangeSchema.default('log10'),
};

export interface VegasLimitParams {
  initialLimit: number;
  maxLimit: number;
  smoothing: number;
  probeMultiplier: number;
  alpha: LimitStep;
  beta: LimitStep;
  threshold: LimitStep;
  increase: LimitChange;
  decrease: LimitChange;
}

export function vegasLimit(p: VegasLimitParams, random: () => number): SampledLimit {
  let estimated = p.initialLimit;
  let limit = Math.trunc(estimated);
  let rttNoLoad = 0;
  let probeCount = 0;
  let probeJitter = 0.5 + 0.5 * random();

  const update = (rtt: number, inflight: number, drop: boolean): void => {
    const queueSize = Math.ceil(estimated * (1 - rttNoLoad / rtt));
    let next: number;
    if (drop) next = applyLimitChange(p.decrease, estimated, -1);
    else if (inflight * 2 < estimated) return;
    else {
      const alpha = limitStep(p.alpha, estimated);
      const beta = limitStep(p.beta, estimated);
      if (queueSize <= limitStep(p.threshold, estimated)) next = estimated + beta;
      else if (queueSize < alpha) next = applyLimitChange(p.increase, estimated, 1);
      else if (queueSize > beta) next = applyLimitChange(p.decrease, estimated, -1);
      else return;
    }
    next = Math.max(1, Math.min(p.maxLimit, next));
    estimated = (1 - p.smoothing) * estimated + p.smoothing * next;
    limit = Math.trunc(estimated);
  };

  return {
    get limit() {
      return limit;
    },
    onSample(rtt, inflight, drop) {
      if (!(rtt > 0)) return; // Netflix requires rtt > 0
      probeCount++;
      if (probeJitter * p.probeMultiplier * estimated <= probeCount) {
        probeJitter = 0.5 + 0.5 * random();
        probeCount = 0;
        rttNoLoad = rtt;
        return;
      }
      if (rttNoLoad === 0 || rtt < rttNoLoad) {
        rttNoLoad = rtt;
        return;
      }
      update(rtt, inflight, drop);
    },
  };
}
