/**
 * Netflix concurrency-limits `GradientLimit` (v1) as a sampled limit (the `gradient` policy, and
 * an inner limit of `windowed`). Per sample (RTT r, in-flight n), with q = queueSize(floor L):
 * every probeInterval + U{0..probeInterval-1} samples (a countdown; `probeInterval: -1` disables
 * it) L = max(minLimit, q) and rttNoLoad is forgotten; else rttNoLoad = min RTT seen (this sample
 * included), g = clamp(rttTolerance x rttNoLoad / r, 0.5, 1); on a drop L' = L x backoffRatio;
 * n < L / 2: keep; else L' = L x g + q. A decrease is smoothed, L' = max(minLimit,
 * (1 - smoothing) L + smoothing L'); then L = max(q, min(maxLimit, L')).
 * Defaults (Netflix's, GradientLimit.Builder): initialLimit 50, minLimit 1, maxLimit 1000,
 * smoothing 0.2, queueSize max(4, sqrt L) (`SquareRootFunction.create(4)`), rttTolerance 2,
 * probeInterval 1000, backoffRatio 0.9.
 */
import { z } from 'zod';
import { type LimitStep, limitStep, limitStepSchema } from './limit-functions.ts';
import type { SampledLimit } from './sampled-limit.ts';

export const gradientLimitParams = {
  initialLimit: z.number().int().positive().default(50),
  minLimit: z.number().int().nonnegative().default(1),
  /** Netflix `maxConcurrency`. */
  maxLimit: z.number().int().positive().default(1000),
  smoothing: z.number().min(0).max(1).default(0.2),
  queueSize: limitStepSchema.default({ fn: 'sqrt', times: 1, atLeast: 4 }),
  rttTolerance: z.number().min(1).default(2),
  /** Samples between rttNoLoad probes (plus a random share of as many); -1 disables probing. */
  probeInterval: z.union([z.number().int().positive(), z.literal(-1)]).default(1000),
  backoffRatio: z.number().min(0.5).max(1).default(0.9),
};

export interface GradientLimitParams {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  smoothing: number;
  queueSize: LimitStep;
  rttTolerance: number;
  probeInterval: number;
  backoffRatio: number;
}

export function gradientLimit(p: GradientLimitParams, random: () => number): SampledLimit {
  const probing = p.probeInterval !== -1;
  const nextProbeCountdown = () => p.probeInterval + Math.floor(random() * p.probeInterval);
  let estimated = p.initialLimit;
  let limit = Math.trunc(estimated);
  let rttNoLoad = 0; // MinimumMeasurement: 0 until the first sample
  let resetRttCounter = probing ? nextProbeCountdown() : -1;

  return {
    get limit() {
      return limit;
    },
    onSample(rtt, inflight, drop) {
      if (!(rtt > 0)) return; // a zero RTT has no gradient
      const queueSize = limitStep(p.queueSize, estimated);
      // Probe: restart from the queue size so the limit does not drift up under load.
      if (probing && resetRttCounter-- <= 0) {
        resetRttCounter = nextProbeCountdown();
        estimated = Math.max(p.minLimit, queueSize);
        limit = Math.trunc(estimated);
        rttNoLoad = 0;
        return;
      }
      if (rttNoLoad === 0 || rtt < rttNoLoad) rttNoLoad = rtt;
      const gradient = Math.max(0.5, Math.min(1, (p.rttTolerance * rttNoLoad) / rtt));
      let next: number;
      if (drop) next = estimated * p.backoffRatio;
      else if (inflight < estimated / 2) return;
      else next = estimated * gradient + queueSize;
      if (next < estimated) next = Math.max(p.minLimit, estimated * (1 - p.smoothing) + p.smoothing * next);
      estimated = Math.max(queueSize, Math.min(p.maxLimit, next));
      limit = Math.trunc(estimated);
    },
  };
}
