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
 * Tie-break: the first target in the list.
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

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
