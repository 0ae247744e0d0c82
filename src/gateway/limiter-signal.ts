/**
 * How adaptive limiters and latency-aware policies read an attempt outcome, in one place so they
 * agree: Netflix concurrency-limits' onSample / onDropped / onIgnore split.
 */
import type { AttemptOutcomeView } from './policy.ts';

/**
 * 'sample': a success, whose latency is a load signal; 'drop': the backend said it is overloaded
 * (timeout, 503 overloaded, 5xx, 429, quota); 'ignore': cancelled, stream cut or bad request, which say
 * nothing about load.
 */
export type LimiterSignal = 'sample' | 'drop' | 'ignore';

export function limiterSignal(status: string): LimiterSignal {
  if (status === 'ok') return 'sample';
  if (
    status === 'timeout' ||
    status === 'overloaded' ||
    status === 'server_error' ||
    status === 'rate_limited' ||
    status === 'quota_exceeded'
  )
    return 'drop';
  return 'ignore';
}

/** The round-trip time to sample: TTFT when `useTtft` and a token came, else the attempt's latency (ms). */
export function limiterRtt(o: AttemptOutcomeView, useTtft: boolean): number {
  return useTtft && !Number.isNaN(o.ttftMs) ? o.ttftMs : o.latencyMs;
}

/**
 * The RTT a limiter samples: `latency` (attempt start to end, Netflix's), `ttft` (time to first
 * token when one came, else latency) or `per-token` (latency / max(1, output tokens): an LLM
 * request's latency grows with its output length, not only with load).
 */
export const RTT_SIGNALS = ['latency', 'ttft', 'per-token'] as const;
export type RttSignal = (typeof RTT_SIGNALS)[number];

export function limiterRttOf(o: AttemptOutcomeView, signal: RttSignal): number {
  if (signal === 'per-token') return o.latencyMs / Math.max(1, o.outputTokens);
  return limiterRtt(o, signal === 'ttft');
}
