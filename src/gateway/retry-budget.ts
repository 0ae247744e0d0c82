/**
 * Retry budgets: a cap on gateway retries that keeps them from amplifying an outage (retries are
 * the most common sustaining effect of metastable failures, Huang et al. OSDI'22).
 *
 * - token-bucket (gRPC A6 retry throttling): the bucket starts full at maxTokens; every failed
 *   attempt takes 1 token, every success adds tokenRatio (capped at maxTokens); a retry is allowed
 *   only while tokens > maxTokens / 2. Example: maxTokens 10, ratio 0.1: after 5 failures in a row
 *   the bucket holds 5 and retries stop until successes refill it.
 * - percent (Envoy's retry budget): retries in progress may not exceed max(minRetries,
 *   percent x requests in progress at the gateway).
 */
import type { RetryBudgetConfig } from '../scenario/schema.ts';

export interface RetryBudget {
  /** May a retry start now? (`activeRequests`: admitted and unfinished; `activeRetries`: retries in progress.) */
  allows(activeRequests: number, activeRetries: number): boolean;
  /** Every attempt's result, so a token bucket can drain and refill. */
  onAttempt(ok: boolean): void;
}

export function createRetryBudget(config: RetryBudgetConfig): RetryBudget {
  if (config.kind === 'token-bucket') {
    let tokens = config.maxTokens;
    return {
      allows: () => tokens > config.maxTokens / 2,
      onAttempt(ok) {
        tokens = ok ? Math.min(config.maxTokens, tokens + config.tokenRatio) : Math.max(0, tokens - 1);
      },
    };
  }
  return {
    allows: (activeRequests, activeRetries) =>
      activeRetries < Math.max(config.minRetries, config.percent * activeRequests),
    onAttempt() {},
  };
}
