/**
 * The rate-limit headers of an answer, under the names src/providers/dialects.ts gives each
 * dialect, from the buckets the provider reported for the attempt (`Attempt.rateLimit`): the
 * limit per minute in force, what is left after this request, and when the bucket is full again.
 * Resets are real time (the models' time divided by the time scale): OpenAI writes a duration
 * (`1s`, `6m0s`, `20ms`), Anthropic an RFC 3339 time. Gemini sends none.
 */
import type { RateLimitBucket, RateLimitHeaders } from '../../providers/attempt.ts';
import { type ApiDialect, DIALECTS } from '../../providers/dialects.ts';

/** A duration as OpenAI writes it: `20ms` below a second, else `1.5s`, `6m0s`. */
export function openAiDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const totalS = Math.round(ms) / 1000;
  const minutes = Math.floor(totalS / 60);
  const seconds = Number((totalS - minutes * 60).toFixed(3));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** An RFC 3339 time to the second (rounded up: the bucket is full by then). */
export function rfc3339(epochMs: number): string {
  return new Date(Math.ceil(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The headers for `buckets` in `api`'s names (none for a dialect without them or a provider
 * without limits). `timeScale`: simulated ms per real ms; `nowMs`: the real clock (epoch ms).
 */
export function rateLimitHeaders(
  api: ApiDialect,
  buckets: RateLimitHeaders | undefined,
  timeScale: number,
  nowMs: number,
): Record<string, string> {
  const names = DIALECTS[api].rateLimitHeaders;
  const out: Record<string, string> = {};
  if (!names || !buckets) return out;
  const put = (
    n: { limit: string; remaining: string; reset: string } | undefined,
    b: RateLimitBucket | undefined,
  ) => {
    if (!n || !b) return;
    out[n.limit] = String(Math.floor(b.limit));
    out[n.remaining] = String(b.remaining);
    // A limit of 0 never refills: no reset to promise.
    if (!Number.isFinite(b.resetMs)) return;
    const realMs = b.resetMs / timeScale;
    out[n.reset] = names.resetFormat === 'duration' ? openAiDuration(realMs) : rfc3339(nowMs + realMs);
  };
  put(names.requests, buckets.requests);
  put(names.inputTokens, buckets.inputTokens);
  put(names.outputTokens, buckets.outputTokens);
  return out;
}
