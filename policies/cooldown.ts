/**
 * cooldown: LiteLLM's deployment cooldown. Per target, successes and failures are counted in the
 * current minute (a fixed window, `windowMs` 60 s); when a failure leaves the failure share above
 * `failureShare` (0.5) with at least `minRequests` (2: "more than one request") seen this minute,
 * the target is cooled down (refused) for `cooldownMs` (5 s).
 * Failures: rate_limited (429), server_error, overloaded, timeout and stream_cut (LiteLLM cools
 * down on 429, 408 and 5xx, not on other 4xx); bad_request and cancelled attempts are not counted.
 * Source: LiteLLM router `_should_cooldown_deployment` (v2 rule: fails / (successes + fails) in
 * the current minute > DEFAULT_FAILURE_THRESHOLD_PERCENT 0.5, not when the minute has one
 * request) and `_is_cooldown_required`; DEFAULT_COOLDOWN_TIME_SECONDS 5 (PR #5698).
 * All cooling down: LiteLLM fails closed, raising "No deployments available" until one returns
 * (BerriAI/litellm#3646); `failOpen: false` does that (the try is shed without an attempt). The
 * default keeps Floodgate's fail-open for health policies: routing then sees every target, like
 * Envoy's panic threshold.
 * `jitter` (not in LiteLLM, default 0): each cooldown lasts U[1 - jitter, 1 + jitter] x
 * `cooldownMs`, so targets tripped by the same burst do not all return at the same instant, as
 * jittered backoff desynchronizes retrying clients (Brooker, "Exponential Backoff And Jitter",
 * AWS 2015). scenarios/thundering-herd.yaml shows both.
 * Tie-break: none needed (a yes/no per target).
 */
import { z } from 'zod';
import { definePolicy } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'cooldown',
  kind: 'health',
  description: 'LiteLLM: > 50% failures this minute (2+ requests) cools a target down for 5 s.',
  params: z.strictObject({
    failureShare: z.number().min(0).max(1).default(0.5),
    minRequests: z.number().int().positive().default(2),
    cooldownMs: z.number().min(0).default(5_000),
    windowMs: z.number().positive().default(60_000),
    failOpen: z.boolean().default(true),
    jitter: z.number().min(0).max(1).default(0),
  }),
  create(params, ctx) {
    /** Per target index. */
    const windowId: number[] = [];
    const oks: number[] = [];
    const fails: number[] = [];
    const until: number[] = [];
    // No draw without jitter: the stream stays as it was before `jitter` existed.
    const cooldownFor = () =>
      params.jitter > 0
        ? params.cooldownMs * (1 + params.jitter * (2 * ctx.random() - 1))
        : params.cooldownMs;
    return {
      failOpen: params.failOpen,
      allows(t) {
        return ctx.now() >= (until[t.index] ?? 0);
      },
      onOutcome(o) {
        const status = o.status;
        if (status === 'cancelled' || status === 'bad_request') return;
        const i = o.target.index;
        const now = ctx.now();
        const id = Math.floor(now / params.windowMs);
        if (windowId[i] !== id) {
          windowId[i] = id;
          oks[i] = 0;
          fails[i] = 0;
        }
        if (status === 'ok') {
          oks[i]!++;
          return;
        }
        const f = ++fails[i]!;
        const total = f + oks[i]!;
        if (total >= params.minRequests && f / total > params.failureShare) until[i] = now + cooldownFor();
      },
    };
  },
});
