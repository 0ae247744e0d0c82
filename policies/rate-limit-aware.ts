/**
 * rate-limit-aware: the target with the largest share of its rate limits left after this request,
 * skipping targets this request would exhaust and targets inside a 429's retry-after; rejects
 * ('rate-limited-all') when every target is skipped.
 * Usage is what the gateway itself sent: requests and prompt tokens routed to each target in a
 * sliding window (`windowMs`, default 60 s), against `limits: { <target name>: { rpm?, tpm? } }`.
 * Share left = min over the limits a target has of (limit - used - this request) / limit
 * (1 for a target without limits); a request needs 1 from rpm and its prompt tokens from tpm.
 * A 429 skips the target until its `retryAfterUntilMs`.
 * Source: LiteLLM `usage-based-routing-v2` (per-minute TPM/RPM usage against deployment limits,
 * deployments over a limit skipped; LiteLLM then takes the lowest usage, here the largest share
 * left, which is the same order when limits are equal) and its 429 cooldown.
 * Limits: output tokens are not counted toward tpm (the gateway does not know them when it
 * routes, and outcomes do not report them); attempts sent from a fallback chain bypass routing
 * and are not counted.
 * `source: headers`: instead of its own window, the policy reads the rate-limit headers of the
 * target's latest response (OpenAI `x-ratelimit-remaining|reset-requests|tokens`, Anthropic
 * `anthropic-ratelimit-requests|input-tokens|output-tokens-*`; `AttemptOutcomeView.rateLimit`)
 * as a real gateway does: a bucket's estimate now is its `remaining`, refilled linearly to its
 * `limit` by its reset time, less what the gateway sent there since that response's request
 * started. `limits` are then not used; a target with no headers yet counts as having all its
 * limits left (share 1). An output-token bucket skips the target while it has nothing left.
 * Tie-break: the first target in the list.
 */
import { z } from 'zod';
import { definePolicy, type RateLimitBucketView, type RateLimitView, reject } from '../src/gateway/policy.ts';

interface Usage {
  /** Send times (ms) and prompt tokens, oldest first from `head`. */
  times: number[];
  tokens: number[];
  head: number;
  requests: number;
  tokenSum: number;
  rpm: number;
  tpm: number;
}

/** A target's latest rate-limit headers and what was sent there after the request they count. */
interface Observed {
  /** Undefined until a response carried headers. */
  headers: RateLimitView | undefined;
  /**
   * Start of the attempt whose response carried them: when the provider counted its request (the
   * network aside), from which `remaining` and resets count.
   */
  atMs: number;
  /** Sends after `atMs`: times and prompt tokens, oldest first. */
  sentTimes: number[];
  sentTokens: number[];
}

/** A bucket's estimate at `now`: its remaining, refilled linearly to its limit by its reset. */
function estimate(b: RateLimitBucketView, atMs: number, now: number): number {
  if (!(b.resetMs > 0) || now - atMs >= b.resetMs) return b.limit;
  return b.remaining + (b.limit - b.remaining) * ((now - atMs) / b.resetMs);
}

export default definePolicy({
  name: 'rate-limit-aware',
  kind: 'routing',
  description: 'Most rate-limit headroom left; skips exhausted and retry-after targets.',
  params: z.strictObject({
    limits: z
      .record(
        z.string(),
        z.strictObject({ rpm: z.number().positive().optional(), tpm: z.number().positive().optional() }),
      )
      .default({}),
    windowMs: z.number().positive().default(60_000),
    /** Where usage comes from: the policy's own sliding window, or the responses' headers. */
    source: z.enum(['window', 'headers']).default('window'),
  }),
  create(params, ctx) {
    const noTarget = reject('no-target');
    const allLimited = reject('rate-limited-all');
    const usage: Usage[] = [];
    const windowMs = params.windowMs;

    const usageOf = (index: number, name: string): Usage => {
      let u = usage[index];
      if (!u) {
        const lim = params.limits[name];
        u = {
          times: [],
          tokens: [],
          head: 0,
          requests: 0,
          tokenSum: 0,
          rpm: lim?.rpm ?? Number.POSITIVE_INFINITY,
          tpm: lim?.tpm ?? Number.POSITIVE_INFINITY,
        };
        usage[index] = u;
      }
      return u;
    };

    const expire = (u: Usage, now: number) => {
      const cutoff = now - windowMs;
      const times = u.times;
      let h = u.head;
      while (h < times.length && times[h]! <= cutoff) {
        u.requests--;
        u.tokenSum -= u.tokens[h]!;
        h++;
      }
      if (h > 1024 && h * 2 > times.length) {
        times.splice(0, h);
        u.tokens.splice(0, h);
        h = 0;
      }
      u.head = h;
    };

    const observed: (Observed | undefined)[] = [];

    /** Share left after `req` on a target by its headers (-1: it would not fit). */
    const headerShare = (index: number, need: number, now: number): number => {
      const o = observed[index];
      const h = o?.headers;
      if (!o || !h) return 1;
      const sent = o.sentTimes.length;
      let tokens = 0;
      for (let i = 0; i < sent; i++) tokens += o.sentTokens[i]!;
      let share = 1;
      if (h.requests) {
        const left = estimate(h.requests, o.atMs, now) - sent - 1;
        if (left < 0) return -1;
        share = Math.min(share, left / h.requests.limit);
      }
      if (h.inputTokens) {
        const left = estimate(h.inputTokens, o.atMs, now) - tokens - need;
        if (left < 0) return -1;
        share = Math.min(share, left / h.inputTokens.limit);
      }
      if (h.outputTokens) {
        const left = estimate(h.outputTokens, o.atMs, now);
        if (!(left > 0)) return -1;
        share = Math.min(share, left / h.outputTokens.limit);
      }
      return share;
    };

    if (params.source === 'headers') {
      return {
        route(req, targets) {
          const n = targets.length;
          if (n === 0) return noTarget;
          const now = ctx.now();
          let bestK = -1;
          let bestShare = Number.NEGATIVE_INFINITY;
          for (let k = 0; k < n; k++) {
            const t = targets[k]!;
            if (t.retryAfterUntilMs > now) continue;
            const share = headerShare(t.index, req.promptTokens, now);
            if (share < 0) continue;
            if (share > bestShare) {
              bestShare = share;
              bestK = k;
            }
          }
          if (bestK < 0) return allLimited;
          const index = targets[bestK]!.index;
          let o = observed[index];
          if (!o) {
            o = { headers: undefined, atMs: Number.NEGATIVE_INFINITY, sentTimes: [], sentTokens: [] };
            observed[index] = o;
          }
          o.sentTimes.push(now);
          o.sentTokens.push(req.promptTokens);
          return targets[bestK]!;
        },
        onOutcome(outcome) {
          const headers = outcome.rateLimit;
          if (!headers) return;
          const index = outcome.target.index;
          const last = observed[index];
          // Responses arrive out of order: keep the one whose request started last.
          if (last && last.atMs > outcome.startMs) return;
          const sentTimes: number[] = [];
          const sentTokens: number[] = [];
          if (last) {
            // Sends after this response's request are not in its counts.
            for (let i = 0; i < last.sentTimes.length; i++) {
              if (last.sentTimes[i]! > outcome.startMs) {
                sentTimes.push(last.sentTimes[i]!);
                sentTokens.push(last.sentTokens[i]!);
              }
            }
          }
          observed[index] = { headers, atMs: outcome.startMs, sentTimes, sentTokens };
        },
      };
    }

    return {
      route(req, targets) {
        const n = targets.length;
        if (n === 0) return noTarget;
        const now = ctx.now();
        const need = req.promptTokens;
        let best: Usage | undefined;
        let bestK = -1;
        let bestShare = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < n; k++) {
          const t = targets[k]!;
          if (t.retryAfterUntilMs > now) continue;
          const u = usageOf(t.index, t.name);
          let share = 1;
          if (u.rpm < Number.POSITIVE_INFINITY) {
            expire(u, now);
            const left = u.rpm - u.requests - 1;
            if (left < 0) continue;
            share = Math.min(share, left / u.rpm);
          }
          if (u.tpm < Number.POSITIVE_INFINITY) {
            expire(u, now);
            const left = u.tpm - u.tokenSum - need;
            if (left < 0) continue;
            share = Math.min(share, left / u.tpm);
          }
          if (share > bestShare) {
            bestShare = share;
            best = u;
            bestK = k;
          }
        }
        if (!best) return allLimited;
        if (best.rpm < Number.POSITIVE_INFINITY || best.tpm < Number.POSITIVE_INFINITY) {
          best.times.push(now);
          best.tokens.push(need);
          best.requests++;
          best.tokenSum += need;
        }
        return targets[bestK]!;
      },
    };
  },
});
