/**
 * cooldown: LiteLLM's router cooldowns. Per target, successes and failures are counted "this
 * minute": each count lives `windowMs` (60 s) from the first event it counted, then starts again
 * (LiteLLM's in-memory counters: a 60 s TTL that later increments do not extend, so the two
 * counts' windows need not coincide). On each failure the target is cooled down
 * (refused) for `cooldownMs` (5 s), or for the answer's retry-after when it carried one, when:
 * - it answered 429 and its deployment group (the targets serving its model, `TargetView.group`)
 *   has more than one target; or
 * - every request this minute failed and there were at least `singleDeploymentMinRequests`
 *   (1000) of them, whatever the group's size; or
 * - failures this minute are more than `failureShare` (0.5) of at least `minRequests` (5)
 *   requests, and the group has more than one target.
 * A target alone in its group is thus never cooled by 429s or by the share rule: cooling it would
 * leave its model no deployment at all.
 * Failures: rate_limited (429), server_error, overloaded, timeout, stream_cut and bad_request all
 * count in the minute's share; bad_request (400) never cools by itself (LiteLLM cools on 429, 408
 * and 5xx, not on other 4xx). Cancelled attempts are not counted.
 * `allowedFails` or `allowedFailsPolicy` switch to LiteLLM's other rule ("v1"): a target is cooled
 * on the failure after `allowed` failures, where `allowed` is the policy's entry for the failure's
 * kind, else `allowedFails`, else 3 (litellm.allowed_fails); the count expires `cooldownMs` after
 * the first failure it counted. This rule has no single-deployment exemption. Kinds, with LiteLLM's
 * names: RateLimitErrorAllowedFails (rate_limited), TimeoutErrorAllowedFails (timeout),
 * InternalServerErrorAllowedFails (server_error), ServiceUnavailableErrorAllowedFails
 * (overloaded; stream_cut, as LiteLLM's MidStreamFallbackError is a ServiceUnavailableError).
 *
 * Source: LiteLLM router (BerriAI/litellm, 2026), router_utils/cooldown_handlers.py
 * `_should_cooldown_deployment`, `should_cooldown_based_on_allowed_fails_policy`,
 * `_is_cooldown_required`; constants.py DEFAULT_COOLDOWN_TIME_SECONDS 5,
 * DEFAULT_FAILURE_THRESHOLD_PERCENT 0.5, DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS 5 (added for
 * BerriAI/litellm#17418), SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD 1000, DEFAULT_ALLOWED_FAILS
 * 3; router.py `deployment_callback_on_failure` (a Retry-After header sets the cooldown time).
 * A failure while the target is cooling does not move the cooldown's end: LiteLLM's in-memory
 * cooldown entry keeps its first TTL (BerriAI/litellm#40130, open; the fix restarts it:
 * `renewCooldown: true`).
 * Departures, each a parameter:
 * - All cooling down: LiteLLM fails closed, raising "No deployments available" until one returns
 *   (BerriAI/litellm#3646), and so does this policy by default; `failOpen: true` instead lets
 *   routing see every target (Floodgate's default for other health policies, like Envoy's panic
 *   threshold).
 * - `retryAfter: false` ignores the answer's retry-after (always `cooldownMs`).
 * - `jitter` (default 0): each cooldown lasts U[1 - jitter, 1 + jitter] times its length, so
 *   targets tripped by the same burst do not all return at the same instant, as jittered backoff
 *   desynchronizes retrying clients (Brooker, "Exponential Backoff And Jitter", AWS 2015).
 *   scenarios/thundering-herd.yaml shows both.
 * - LiteLLM switches to the v1 rule only when `allowed_fails` differs from 3 (its default); here
 *   setting either parameter switches.
 * Tie-break: none needed (a yes/no per target).
 */
import { z } from 'zod';
import { definePolicy } from '../src/gateway/policy.ts';

/** LiteLLM's `AllowedFailsPolicy` entries a Floodgate status can meet. */
const allowedFailsPolicy = z.strictObject({
  RateLimitErrorAllowedFails: z.number().int().min(0).optional(),
  TimeoutErrorAllowedFails: z.number().int().min(0).optional(),
  InternalServerErrorAllowedFails: z.number().int().min(0).optional(),
  ServiceUnavailableErrorAllowedFails: z.number().int().min(0).optional(),
});
type AllowedFailsPolicy = z.infer<typeof allowedFailsPolicy>;

/** The policy entry for a failure's kind (undefined for bad_request, which never cools). */
function policyEntry(policy: AllowedFailsPolicy, status: string): number | undefined {
  switch (status) {
    case 'rate_limited':
      return policy.RateLimitErrorAllowedFails;
    case 'timeout':
      return policy.TimeoutErrorAllowedFails;
    case 'server_error':
      return policy.InternalServerErrorAllowedFails;
    case 'overloaded':
    case 'stream_cut':
      return policy.ServiceUnavailableErrorAllowedFails;
    default:
      return undefined;
  }
}

/** litellm.allowed_fails. */
const DEFAULT_ALLOWED_FAILS = 3;

export default definePolicy({
  name: 'cooldown',
  kind: 'health',
  description:
    'LiteLLM router cooldown: 429 (group of 2+), or > 50% failures of 5+ requests this minute, cools a target for 5 s.',
  params: z.strictObject({
    failureShare: z.number().min(0).max(1).default(0.5),
    minRequests: z.number().int().positive().default(5),
    singleDeploymentMinRequests: z.number().int().positive().default(1000),
    cooldownMs: z.number().min(0).default(5_000),
    windowMs: z.number().positive().default(60_000),
    retryAfter: z.boolean().default(true),
    renewCooldown: z.boolean().default(false),
    allowedFails: z.number().int().min(0).optional(),
    allowedFailsPolicy: allowedFailsPolicy.optional(),
    failOpen: z.boolean().default(false),
    jitter: z.number().min(0).max(1).default(0),
  }),
  create(params, ctx) {
    /** Per target index: this minute's counts and when each expires, the cooldown's end, the v1 count. */
    const oks: number[] = [];
    const oksUntil: number[] = [];
    const fails: number[] = [];
    const failsUntil: number[] = [];
    const until: number[] = [];
    const v1Fails: number[] = [];
    const v1Expiry: number[] = [];
    const v1 = params.allowedFails !== undefined || params.allowedFailsPolicy !== undefined;
    /** Adds one to a per-minute count, restarting it once its window has passed; returns the count. */
    const count = (counts: number[], expiry: number[], i: number, now: number): number => {
      if (!(now < expiry[i]!)) {
        counts[i] = 0;
        expiry[i] = now + params.windowMs;
      }
      return ++counts[i]!;
    };
    /** How long a cooldown would last: the answer's retry-after when it carried one, else cooldownMs. */
    const lengthFor = (retryAfterMs: number) =>
      params.retryAfter && retryAfterMs > 0 ? retryAfterMs : params.cooldownMs;
    // No draw without jitter: the stream stays as it was before `jitter` existed.
    const jittered = (ms: number) =>
      params.jitter > 0 ? ms * (1 + params.jitter * (2 * ctx.random() - 1)) : ms;

    /** LiteLLM's v1 rule: the failure after `allowed` ones cools; a count expires cooldownMs after its first. */
    const exceedsAllowedFails = (i: number, status: string, now: number): boolean => {
      const allowed =
        (params.allowedFailsPolicy && policyEntry(params.allowedFailsPolicy, status)) ??
        params.allowedFails ??
        DEFAULT_ALLOWED_FAILS;
      const live = now < (v1Expiry[i] ?? 0);
      const current = live ? v1Fails[i]! : 0;
      if (current + 1 > allowed) return true;
      v1Fails[i] = current + 1;
      if (!live) v1Expiry[i] = now + params.cooldownMs;
      return false;
    };

    return {
      failOpen: params.failOpen,
      allows(t) {
        return ctx.now() >= (until[t.index] ?? 0);
      },
      onOutcome(o) {
        const status = o.status;
        if (status === 'cancelled') return;
        const i = o.target.index;
        const now = ctx.now();
        if (status === 'ok') {
          count(oks, oksUntil, i, now);
          return;
        }
        const f = count(fails, failsUntil, i, now);
        // 4xx other than 429 and 408 count in the share but never cool (`_is_cooldown_required`);
        // a cooldown of 0 skips the cooldown logic altogether (`_should_run_cooldown_logic`).
        const length = lengthFor(o.retryAfterMs);
        if (status === 'bad_request' || length <= 0) return;
        let cool: boolean;
        if (v1) {
          cool = exceedsAllowedFails(i, status, now);
        } else {
          const total = f + (now < oksUntil[i]! ? oks[i]! : 0);
          const grouped = o.target.group.size > 1;
          cool =
            (status === 'rate_limited' && grouped) ||
            (f === total && total >= params.singleDeploymentMinRequests) ||
            (grouped && total >= params.minRequests && f / total > params.failureShare);
        }
        if (cool && (params.renewCooldown || now >= (until[i] ?? 0))) until[i] = now + jittered(length);
      },
    };
  },
});
