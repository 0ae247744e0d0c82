/**
 * Netflix concurrency-limits `Gradient2Limit` as a sampled limit (the `gradient2` policy, and an
 * inner limit of `windowed`). Per sample (RTT r, in-flight n): longRtt averages the first 10
 * samples, then is an EMA over `longWindow` samples (factor 2 / (longWindow + 1)); if
 * longRtt / r > 2, longRtt x= 0.95 (this sample still uses the uncorrected value); n < L / 2: keep;
 * else g = clamp(rttTolerance x longRtt / r, 0.5, 1), L' = L x g + queueSize,
 * L = (1 - smoothing) L + smoothing L', clamped to [minLimit, maxLimit]. Drops are samples like
 * any other (Gradient2 ignores didDrop).
 */
import { z } from 'zod';
import type { SampledLimit } from './sampled-limit.ts';

const WARMUP = 10;

export const gradient2LimitParams = {
  initialLimit: z.number().int().positive().default(20),
  minLimit: z.number().int().positive().default(20),
  maxLimit: z.number().int().positive().default(200),
  smoothing: z.number().gt(0).max(1).default(0.2),
  queueSize: z.number().min(0).default(4),
  longWindow: z.number().int().positive().default(600),
  rttTolerance: z.number().min(1).default(1.5),
};

export interface Gradient2LimitParams {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  smoothing: number;
  queueSize: number;
  longWindow: number;
  rttTolerance: number;
}

export function gradient2Limit(p: Gradient2LimitParams): SampledLimit {
  const factor = 2 / (p.longWindow + 1);
  let estimated = p.initialLimit;
  let limit = Math.trunc(estimated);
  // ExpAvgMeasurement: mean of the first WARMUP samples, then an EMA.
  let longRtt = 0;
  let longSum = 0;
  let longCount = 0;

  return {
    get limit() {
      return limit;
    },
    onSample(shortRtt, inflight) {
      if (!(shortRtt > 0)) return;
      if (longCount < WARMUP) {
        longCount++;
        longSum += shortRtt;
        longRtt = longSum / longCount;
      } else longRtt = longRtt * (1 - factor) + shortRtt * factor;
      const long = longRtt;
      if (long / shortRtt > 2) longRtt *= 0.95;
      if (inflight < estimated / 2) return;
      const gradient = Math.max(0.5, Math.min(1, (p.rttTolerance * long) / shortRtt));
      const next = estimated * gradient + p.queueSize;
      const smoothed = estimated * (1 - p.smoothing) + next * p.smoothing;
      estimated = Math.max(p.minLimit, Math.min(p.maxLimit, smoothed));
      limit = Math.trunc(estimated);
    },
  };
}
