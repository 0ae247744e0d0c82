/**
 * The token-bucket retry budget is gRPC A6 retry throttling (grpc/proposal A6-client-retries.md,
 * last changed dc9fd4f, 2024-08-29). Each block ports one source test's sequence as numbers; the
 * source's code is not copied. The budget's API: `onFailure` is a qualified failure (A6: one with
 * a retryable or non-fatal status, or a pushback saying not to retry), `onSuccess` a successful
 * RPC, `allows`/`allowsHedge` "is token_count above maxTokens / 2".
 */
import { describe, expect, it } from 'vitest';
import { createRetryBudget, TokenBucketBudget } from '../../src/gateway/retry-budget.ts';

describe('grpc-java RetriableStreamTest (v1.85.0-SNAPSHOT, 5fda0c7, 2026-08-20)', () => {
  it('throttle(): Throttle(4, 0.8) through failures to 0 and successes back to 4', () => {
    const t = new TokenBucketBudget(4, 0.8);
    const failThenAbove = () => {
      t.onFailure();
      return t.allows();
    };
    expect(t.allows()).toBe(true);
    expect(failThenAbove()).toBe(true); // token = 3
    expect(t.tokens).toBe(3);
    expect(t.allows()).toBe(true);
    expect(failThenAbove()).toBe(false); // token = 2: not above the threshold of 2
    expect(t.allows()).toBe(false);
    expect(failThenAbove()).toBe(false); // token = 1
    expect(failThenAbove()).toBe(false); // token = 0
    expect(failThenAbove()).toBe(false); // token = 0
    expect(failThenAbove()).toBe(false); // token = 0
    expect(t.tokens).toBe(0);
    expect(t.allows()).toBe(false);

    // Six successes; the source's comments say 0.8, 1.6, 3.2, 4, 4, 4, its asserts (above the
    // threshold: no, no, yes, yes, yes, yes) hold for the sums 0.8, 1.6, 2.4, 3.2, 4, 4.
    const expected = [0.8, 1.6, 2.4, 3.2, 4, 4];
    const above = [false, false, true, true, true, true];
    for (let i = 0; i < expected.length; i++) {
      t.onSuccess();
      expect(t.tokens).toBe(expected[i]);
      expect(t.allows()).toBe(above[i]);
    }

    expect(failThenAbove()).toBe(true); // token = 3
    expect(t.allows()).toBe(true);
    expect(failThenAbove()).toBe(false); // token = 2
    expect(t.allows()).toBe(false);
  });

  it('throttledStream_* and throttleStream_Succeed: one more qualified failure from 3 stops retries; a success from 1 gives 1.8', () => {
    // "mimic some other call in the channel triggers a throttle countdown": 4 -> 3, then the
    // stream's own retryable failure (or not-to-retry pushback) takes 3 -> 2 and is not retried.
    const t = new TokenBucketBudget(4, 0.8);
    t.onFailure();
    expect(t.allows()).toBe(true);
    t.onFailure();
    expect(t.allows()).toBe(false);
    // throttleStream_Succeed: three failures from 4 leave 1; the stream's success adds 0.8.
    const s = new TokenBucketBudget(4, 0.8);
    s.onFailure();
    s.onFailure();
    s.onFailure();
    s.onSuccess();
    expect(s.tokens).toBe(1.8);
    expect(s.allowsHedge()).toBe(false);
  });

  it('hedging_throttledByHedgingStreams: two non-fatal failures take 4 -> 2 and stop further hedges', () => {
    const t = new TokenBucketBudget(4, 0.8);
    t.onFailure();
    expect(t.allowsHedge()).toBe(true); // count = 3
    t.onFailure();
    expect(t.allowsHedge()).toBe(false); // count = 2
  });
});

describe('grpc-go test/retry_test.go TestRetryThrottling (v1.85.0-dev, 4793ad0, 2026-08-21)', () => {
  it('maxTokens 10, tokenRatio 0.5, maxAttempts 4: the same codes and server call counts', () => {
    // The stub server answers OK on calls 0, 3, 6, 10-14, 16, 18 and UNAVAILABLE (retryable)
    // otherwise. Each RPC follows grpc-go's shouldRetry: a retryable failure takes a token
    // first (throttle()), then the RPC stops if the count is not above 5 or attempts ran out.
    const okCalls = new Set([0, 3, 6, 10, 11, 12, 13, 14, 16, 18]);
    let i = -1;
    const budget = new TokenBucketBudget(10, 0.5);
    const rpc = (): 'OK' | 'UNAVAILABLE' => {
      for (let attempt = 1; ; attempt++) {
        i++;
        if (okCalls.has(i)) {
          budget.onSuccess();
          return 'OK';
        }
        budget.onFailure();
        if (!budget.allows() || attempt >= 4) return 'UNAVAILABLE';
      }
    };
    // [code, server call count after the RPC, tokens after the RPC]. grpc-go's comments give 6
    // after the third RPC and 5.5 after the eleventh; the arithmetic (and every asserted code and
    // count) gives 7 and 6.
    const cases: [string, number, number][] = [
      ['OK', 0, 10],
      ['OK', 3, 8.5],
      ['OK', 6, 7],
      ['UNAVAILABLE', 8, 5], // first attempt is retried; second aborted
      ['UNAVAILABLE', 9, 4],
      ['OK', 10, 4.5],
      ['OK', 11, 5],
      ['OK', 12, 5.5],
      ['OK', 13, 6],
      ['OK', 14, 6.5],
      ['OK', 16, 6],
      ['UNAVAILABLE', 17, 5],
    ];
    for (const [code, count, tokens] of cases) {
      expect(rpc()).toBe(code);
      expect(i).toBe(count);
      expect(budget.tokens).toBe(tokens);
    }
  });
});

describe('A6 validation and arithmetic', () => {
  it('ignores decimal places of tokenRatio beyond 3 (0.5466 adds 0.546) and adds 4.35 exactly', () => {
    const t = new TokenBucketBudget(10, 0.5466);
    for (let k = 0; k < 10; k++) t.onFailure();
    t.onSuccess();
    expect(t.tokens).toBe(0.546);
    const u = new TokenBucketBudget(10, 4.35);
    for (let k = 0; k < 10; k++) u.onFailure();
    u.onSuccess();
    expect(u.tokens).toBe(4.35);
  });

  it('sums 0.1 exactly: 5 failures and 50 successes of maxTokens 10, ratio 0.1 refill to 10', () => {
    const t = new TokenBucketBudget(10, 0.1);
    for (let k = 0; k < 5; k++) t.onFailure();
    expect(t.allows()).toBe(false);
    for (let k = 0; k < 49; k++) t.onSuccess();
    expect(t.tokens).toBe(9.9);
    t.onSuccess();
    expect(t.tokens).toBe(10);
  });

  it("Envoy's percent budget counts retries in progress only, and lets hedges through", () => {
    const b = createRetryBudget({ kind: 'percent', percent: 0.2, minRetries: 3 });
    for (let k = 0; k < 100; k++) b.onFailure();
    expect(b.allows(10, 2)).toBe(true);
    expect(b.allows(10, 3)).toBe(false);
    expect(b.allows(100, 19)).toBe(true);
    expect(b.allowsHedge()).toBe(true);
  });
});
