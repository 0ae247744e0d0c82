/**
 * Retry budgets: a cap on retries (and hedges) that keeps them from amplifying an outage
 * (retries are the most common sustaining effect of metastable failures, Huang et al. OSDI'22).
 *
 * - token-bucket: gRPC A6 retry throttling (grpc/proposal A6-client-retries.md, "Throttling
 *   Retry Attempts and Hedged RPCs"). `token_count` starts at maxTokens and stays in
 *   [0, maxTokens]. Only a *qualified* failure takes a token: one whose error the caller would
 *   retry (or that a hedging policy counts as non-fatal), or a pushback saying not to retry. A
 *   failure nobody would retry (a 400, an error missing from `on`) takes none. Every success adds
 *   tokenRatio. A retry, or a hedge after the first attempt, goes out only while
 *   token_count > maxTokens / 2; the failure is counted before the check (grpc-go throttle(),
 *   grpc-java onQualifiedFailureThenCheckIsAboveThreshold). Tokens are kept in thousandths, as
 *   grpc-java does, so tokenRatio counts to 3 decimal places (0.5466 adds 0.546) and sums are exact.
 *   Example: maxTokens 10, ratio 0.1: after 5 qualified failures in a row the bucket holds 5 and
 *   retries stop until successes refill it.
 * - percent (Envoy's retry budget): retries in progress may not exceed max(minRetries,
 *   percent x requests in progress). It does not see failures, successes or hedges.
 */
import type { RetryBudgetConfig } from '../scenario/schema.ts';

export interface RetryBudget {
  /**
   * May a retry start now? (`activeRequests`: admitted and unfinished; `activeRetries`: retries
   * in progress.) Call it after `onFailure` for the failure being retried.
   */
  allows(activeRequests: number, activeRetries: number): boolean;
  /** May a hedged attempt (one after the first) start now? */
  allowsHedge(): boolean;
  /** A qualified failure (see above): takes a token. */
  onFailure(): void;
  /** A successful request (once per request, however many attempts it took): adds tokenRatio. */
  onSuccess(): void;
}

/** gRPC A6 token count, in thousandths of a token. */
export class TokenBucketBudget implements RetryBudget {
  private readonly max: number;
  private readonly threshold: number;
  private readonly ratio: number;
  private count: number;

  constructor(maxTokens: number, tokenRatio: number) {
    this.max = Math.round(maxTokens * 1000);
    // A6: "Decimal places beyond 3 are ignored". Rounding the product to 12 significant digits
    // first keeps 4.35 (4349.999999999999 thousandths in binary) from truncating to 4.349.
    this.ratio = Math.floor(Number((tokenRatio * 1000).toPrecision(12)));
    this.threshold = this.max / 2;
    this.count = this.max;
  }

  /** The token count (what A6 calls token_count). */
  get tokens(): number {
    return this.count / 1000;
  }

  aboveThreshold(): boolean {
    return this.count > this.threshold;
  }

  allows(): boolean {
    return this.aboveThreshold();
  }

  allowsHedge(): boolean {
    return this.aboveThreshold();
  }

  onFailure(): void {
    this.count = Math.max(0, this.count - 1000);
  }

  onSuccess(): void {
    this.count = Math.min(this.max, this.count + this.ratio);
  }
}

export function createRetryBudget(config: RetryBudgetConfig): RetryBudget {
  if (config.kind === 'token-bucket') return new TokenBucketBudget(config.maxTokens, config.tokenRatio);
  return {
    allows: (activeRequests, activeRetries) =>
      activeRetries < Math.max(config.minRetries, config.percent * activeRequests),
    allowsHedge: () => true,
    onFailure() {},
    onSuccess() {},
  };
}
