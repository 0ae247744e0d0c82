/**
 * The AIMD concurrency-limit rule (Netflix concurrency-limits `AIMDLimit`), shared by the `aimd`
 * admission policy and the adaptive mode of `priority-shedding`. Per attempt outcome: on a drop
 * (timeout, overloaded, server_error, rate_limited) or an RTT over `timeout`,
 * L = floor(backoffRatio x L); otherwise, if the attempt's in-flight count at its start x 2 >= L,
 * L = L + 1; then L is clamped to [minLimit, maxLimit]. Ignored outcomes leave L as it is.
 */
import { z } from 'zod';
import { limiterRtt, limiterSignal } from './limiter-signal.ts';
import type { AttemptOutcomeView } from './policy.ts';

/** The rule's parameters with Netflix's defaults (timeout in ms). */
export const aimdParams = {
  minLimit: z.number().int().positive().default(20),
  maxLimit: z.number().int().positive().default(200),
  backoffRatio: z.number().min(0.5).lt(1).default(0.9),
  /** An attempt slower than this (ms) counts as a drop. */
  timeout: z.number().positive().default(5000),
  rtt: z.enum(['latency', 'ttft']).default('latency'),
};

export interface AimdParams {
  minLimit: number;
  maxLimit: number;
  backoffRatio: number;
  timeout: number;
  rtt: 'latency' | 'ttft';
}

/** The limit after one attempt outcome. */
export function aimdNext(limit: number, o: AttemptOutcomeView, p: AimdParams): number {
  const signal = limiterSignal(o.status);
  if (signal === 'ignore') return limit;
  let next = limit;
  if (signal === 'drop' || limiterRtt(o, p.rtt === 'ttft') > p.timeout)
    next = Math.floor(next * p.backoffRatio);
  else if (o.inFlightAtStart * 2 >= next) next = next + 1;
  return Math.min(p.maxLimit, Math.max(p.minLimit, next));
}
