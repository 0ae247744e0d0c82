/**
 * The AIMD concurrency-limit rule (Netflix concurrency-limits `AIMDLimit`), shared by the `aimd`
 * admission policy and the adaptive mode of `priority-shedding`. Per attempt outcome: on a drop
 * (timeout, overloaded, server_error, rate_limited) or an RTT over `timeout`,
 * L = floor(backoffRatio x L); otherwise, if the attempt's in-flight count at its start x 2 >= L,
 * L = L + 1; then L is clamped to [minLimit, maxLimit]. Ignored outcomes leave L as it is.
 */
import { z } from 'zod';
import { limiterRttOf, limiterSignal, RTT_SIGNALS, type RttSignal } from './limiter-signal.ts';
import type { AttemptOutcomeView } from './policy.ts';

/** The rule's parameters with Netflix's defaults (timeout in ms). */
export const aimdParams = {
  /** 0 is allowed, as in Netflix (a limit of 0 admits nothing, so it never grows again). */
  minLimit: z.number().int().nonnegative().default(20),
  maxLimit: z.number().int().positive().default(200),
  backoffRatio: z.number().min(0.5).lt(1).default(0.9),
  /** An attempt slower than this (ms) counts as a drop. */
  timeout: z.number().positive().default(5000),
  rtt: z.enum(RTT_SIGNALS).default('latency'),
};

export interface AimdParams {
  minLimit: number;
  maxLimit: number;
  backoffRatio: number;
  timeout: number;
  rtt: RttSignal;
}

/** The limit after one attempt outcome. */
export function aimdNext(limit: number, o: AttemptOutcomeView, p: AimdParams): number {
  const signal = limiterSignal(o.status);
  if (signal === 'ignore') return limit;
  return aimdSample(limit, limiterRttOf(o, p.rtt), o.inFlightAtStart, signal === 'drop', p);
}

/** The limit after one sample (Netflix `AIMDLimit._update`): RTT (ms), in-flight at its start, drop. */
export function aimdSample(
  limit: number,
  rttMs: number,
  inflight: number,
  drop: boolean,
  p: Omit<AimdParams, 'rtt'>,
): number {
  let next = limit;
  if (drop || rttMs > p.timeout) next = Math.floor(next * p.backoffRatio);
  else if (inflight * 2 >= next) next = next + 1;
  return Math.min(p.maxLimit, Math.max(p.minLimit, next));
}
