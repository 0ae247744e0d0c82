/**
 * outlier-ejection: Envoy's consecutive-5xx outlier detection. After `consecutive5xx` (5) server
 * errors in a row (server_error, overloaded, timeout) a target is ejected for `baseEjectionMs`
 * (30 s) x the number of times it has been ejected, capped at `maxEjectionMs` (300 s), provided
 * fewer than `maxEjectionPercent` (10%) of the targets are ejected at the time; since the check
 * is on those already ejected, one target can always be ejected. Any other answer (ok,
 * rate_limited, bad_request) resets the count; stream_cut and cancelled attempts leave it alone,
 * and so do outcomes that arrive while the target is ejected. The count is reset when it reaches
 * the threshold, whether or not the ejection was allowed.
 * Source: Envoy outlier detection (consecutive_5xx 5, base_ejection_time 30 s, max_ejection_time
 * 300 s, max_ejection_percent 10: ejected if 100 x ejected / hosts < max_ejection_percent).
 * Envoy returns a host at the next `interval` sweep (10 s) after its time is up and newer
 * versions shrink the multiplier while it stays healthy; here it returns exactly on time and the
 * multiplier only grows.
 * "Targets" are those this policy has seen (in `allows` or an outcome): the policy API does not
 * give a health policy the target list.
 * Tie-break: none needed (a yes/no per target).
 */
import { z } from 'zod';
import { definePolicy } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'outlier-ejection',
  kind: 'health',
  description: 'Envoy: eject after 5 consecutive server errors for 30 s x times ejected, <= 10% of targets.',
  params: z.strictObject({
    consecutive5xx: z.number().int().positive().default(5),
    baseEjectionMs: z.number().positive().default(30_000),
    maxEjectionMs: z.number().positive().default(300_000),
    maxEjectionPercent: z.number().min(0).max(100).default(10),
  }),
  create(params, ctx) {
    const maxEjection = Math.max(params.maxEjectionMs, params.baseEjectionMs);
    /** Per target index. */
    const seen: boolean[] = [];
    const consecutive: number[] = [];
    const timesEjected: number[] = [];
    const ejectedUntil: number[] = [];
    let known = 0;

    const see = (i: number) => {
      if (seen[i]) return;
      seen[i] = true;
      consecutive[i] = 0;
      timesEjected[i] = 0;
      ejectedUntil[i] = 0;
      known++;
    };

    const tryEject = (i: number, now: number) => {
      let active = 0;
      for (let j = 0; j < ejectedUntil.length; j++) if (seen[j] && ejectedUntil[j]! > now) active++;
      if ((100 * active) / known >= params.maxEjectionPercent) return;
      const times = ++timesEjected[i]!;
      ejectedUntil[i] = now + Math.min(params.baseEjectionMs * times, maxEjection);
    };

    return {
      allows(t) {
        see(t.index);
        return ctx.now() >= ejectedUntil[t.index]!;
      },
      onOutcome(o) {
        const i = o.target.index;
        see(i);
        const now = ctx.now();
        if (now < ejectedUntil[i]!) return;
        switch (o.status) {
          case 'server_error':
          case 'overloaded':
          case 'timeout':
            if (++consecutive[i]! >= params.consecutive5xx) {
              consecutive[i] = 0;
              tryEject(i, now);
            }
            return;
          case 'stream_cut':
          case 'cancelled':
            return;
          default:
            consecutive[i] = 0;
        }
      },
    };
  },
});
