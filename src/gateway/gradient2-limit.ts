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
import { type LimitStep, limitStep, limitStepSchema } from './limit-functions.ts';
import type { SampledLimit } from './sampled-limit.ts';

const WARMUP = 10;

export const gradient2LimitParams = {
  initialLimit: z.number().int().positive().default(20),
  /** 0 is allowed, as in Netflix (a limit under 1 admits nothing, so it never grows again). */
  minLimit: z.number().int().nonnegative().default(20),
  maxLimit: z.number().int().positive().default(200),
  smoothing: z.number().gt(0).max(1).default(0.2),
  /** A number, or a named function of the limit (Netflix's `queueSize(IntUnaryOperator)`). */
  queueSize: z
    .union([z.number().min(0), limitStepSchema], {
      error: "expected a number >= 0, 'log10', 'sqrt' or { fn: log10|sqrt, times, atLeast }",
    })
    .default(4),
  longWindow: z.number().int().positive().default(600),
  rttTolerance: z.number().min(1).default(1.5),
};

export interface Gradient2LimitParams {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  smoothing: number;
  queueSize: number | LimitStep;
  longWindow: number;
  rttTolerance: number;
}

/**
 * Netflix `ExpAvgMeasurement(window, warmupWindow)`: the mean of the first `warmup` samples, then
 * an EMA with factor 2 / (window + 1).
 */
export function expAvgMeasurement(window: number, warmup: number) {
  const factor = 2 / (window + 1);
  let value = 0;
  let sum = 0;
  let count = 0;
  return {
    add(sample: number): number {
      if (count < warmup) {
        count++;
        sum += sample;
        value = sum / count;
      } else value = value * (1 - factor) + sample * factor;
      return value;
    },
    get value() {
      return value;
    },
    scale(k: number): void {
      value *= k;
    },
  };
}

export function gradient2Limit(p: Gradient2LimitParams): SampledLimit {
  let estimated = p.initialLimit;
  let limit = Math.trunc(estimated);
  const longRtt = expAvgMeasurement(p.longWindow, WARMUP);

  return {
    get limit() {
      return limit;
    },
    onSample(shortRtt, inflight) {
      if (!(shortRtt > 0)) return;
      const queueSize = limitStep(p.queueSize, estimated);
      const long = longRtt.add(shortRtt);
      if (long / shortRtt > 2) longRtt.scale(0.95);
      if (inflight < estimated / 2) return;
      const gradient = Math.max(0.5, Math.min(1, (p.rttTolerance * long) / shortRtt));
      const next = estimated * gradient + queueSize;
      const smoothed = estimated * (1 - p.smoothing) + next * p.smoothing;
      estimated = Math.max(p.minLimit, Math.min(p.maxLimit, smoothed));
      limit = Math.trunc(estimated);
    },
  };
}
