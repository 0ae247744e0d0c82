/**
 * peak-ewma: per target, a peak-sensitive EWMA of observed latency, and the target with the lowest
 * cost = ewma x (inFlight + 1) wins. A sample above the current estimate replaces it at once (the
 * "peak"); a sample below it is blended in with weight 1 - exp(-dt / decay), dt being the time
 * since the previous sample, and between samples the estimate decays toward 0 with time constant
 * `decayMs` (default 10 s, Finagle's default decayTime), so an idle slow target is probed again.
 * A target with no estimate costs 0 when idle and a huge penalty plus its in-flight count when
 * not (Finagle's rule, so unmeasured targets get one probe each, not a herd).
 * The sample is the attempt's TTFT (`sample: ttft`, default; LiteLLM's latency-based routing uses
 * TTFT for streams) or its whole latency (`sample: latency`, Finagle's RTT); a failed attempt
 * without a first token contributes its latency (Finagle observes failures too); cancelled
 * attempts are ignored.
 * Source: Finagle `PeakEwma` (twitter/finagle loadbalancer/PeakEwma.scala), as used by Linkerd.
 * One deliberate difference: Finagle's cost read (`get`) restamps the estimate, so a sample's
 * weight depends on how often the balancer looks; here reading is pure, so it depends only on
 * time (deterministic whatever the routing call rate).
 * Tie-break: the first target with the lowest cost. With `buffer > 0`, like LiteLLM's
 * `lowest_latency_buffer`, a uniformly random target among those within (1 + buffer) x min cost.
 */
import { z } from 'zod';
import { limiterRtt } from '../src/gateway/limiter-signal.ts';
import { definePolicy, reject } from '../src/gateway/policy.ts';

/** Finagle's penalty for a target with work in flight but no latency estimate (Long.MaxValue >> 16). */
const PENALTY = 2 ** 47;

export default definePolicy({
  name: 'peak-ewma',
  kind: 'routing',
  description: 'Lowest peak-EWMA latency x (in-flight + 1); ties to the first.',
  params: z.strictObject({
    decayMs: z.number().positive().default(10_000),
    sample: z.enum(['ttft', 'latency']).default('ttft'),
    buffer: z.number().min(0).default(0),
  }),
  create(params, ctx) {
    const noTarget = reject('no-target');
    const tau = params.decayMs;
    const useTtft = params.sample === 'ttft';
    // Per target index: the estimate as of its stamp.
    const ewma: number[] = [];
    const stamp: number[] = [];
    // Per routing call: the cost of targets[k] (reused, never shrunk).
    const costs: number[] = [];

    const current = (i: number, now: number): number => {
      const e = ewma[i];
      if (e === undefined || e === 0) return 0;
      return e * Math.exp(-Math.max(now - stamp[i]!, 0) / tau);
    };

    return {
      route(_req, targets) {
        const n = targets.length;
        if (n === 0) return noTarget;
        const now = ctx.now();
        let min = Number.POSITIVE_INFINITY;
        let best = 0;
        for (let k = 0; k < n; k++) {
          const t = targets[k]!;
          const e = current(t.index, now);
          const cost = e === 0 ? (t.inFlight === 0 ? 0 : PENALTY + t.inFlight) : e * (t.inFlight + 1);
          costs[k] = cost;
          if (cost < min) {
            min = cost;
            best = k;
          }
        }
        if (params.buffer > 0) {
          const limit = min * (1 + params.buffer);
          let count = 0;
          for (let k = 0; k < n; k++) if (costs[k]! <= limit) count++;
          if (count > 1) {
            let pick = Math.floor(ctx.random() * count);
            for (let k = 0; k < n; k++) if (costs[k]! <= limit && pick-- === 0) return targets[k]!;
          }
        }
        return targets[best]!;
      },
      onOutcome(o) {
        if (o.status === 'cancelled') return;
        const rtt = limiterRtt(o, useTtft);
        if (!(rtt >= 0)) return;
        const i = o.target.index;
        const now = ctx.now();
        const e = current(i, now);
        if (rtt > e) ewma[i] = rtt;
        else ewma[i] = e + rtt * (1 - Math.exp(-Math.max(now - (stamp[i] ?? now), 0) / tau));
        stamp[i] = now;
      },
    };
  },
});
