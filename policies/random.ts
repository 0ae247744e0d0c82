/**
 * random: a uniformly random target, or weighted by `weights` (target name -> weight), as
 * LiteLLM's simple-shuffle does. Uses the policy's own seeded stream.
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'random',
  kind: 'routing',
  description: 'A random target, optionally weighted.',
  params: z.strictObject({ weights: z.record(z.string(), z.number().min(0)).optional() }),
  create(params, ctx) {
    const weights = params.weights;
    return {
      route(_req, targets) {
        if (targets.length === 0) return reject('no-target');
        if (!weights) return targets[Math.floor(ctx.random() * targets.length)]!;
        let total = 0;
        for (const t of targets) total += weights[t.name] ?? 0;
        if (total <= 0) return reject('no-weight');
        let u = ctx.random() * total;
        for (const t of targets) {
          u -= weights[t.name] ?? 0;
          if (u < 0) return t;
        }
        return targets[targets.length - 1]!;
      },
    };
  },
});
