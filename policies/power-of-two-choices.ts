/**
 * power-of-two-choices: sample two distinct targets uniformly with the policy's own stream and
 * send to the less loaded of the two. Load is the gateway's own in-flight count
 * (`signal: in-flight`, the default) or, with `signal: scraped-queue`, a self-hosted target's
 * last scraped `waiting + running` (a target without a scrape falls back to its in-flight count).
 * Source: Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing" (2001): max load
 * about log log n / log 2 instead of log n / log log n, and robust to stale load data where a
 * global least-loaded pick herds; Finagle's P2C balancer, Envoy least-request (choice_count 2).
 * Tie-break: the first sampled target. With one target no random number is drawn.
 */
import { z } from 'zod';
import { definePolicy, reject, type TargetView } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'power-of-two-choices',
  kind: 'routing',
  description: 'The less loaded of two random targets; ties to the first sampled.',
  params: z.strictObject({
    signal: z.enum(['in-flight', 'scraped-queue']).default('in-flight'),
  }),
  create(params, ctx) {
    const noTarget = reject('no-target');
    const scraped = params.signal === 'scraped-queue';
    const load = (t: TargetView): number => {
      const s = scraped ? t.scraped : undefined;
      return s ? s.waiting + s.running : t.inFlight;
    };
    return {
      route(_req, targets) {
        const n = targets.length;
        if (n === 0) return noTarget;
        if (n === 1) return targets[0]!;
        const i = Math.floor(ctx.random() * n);
        let j = Math.floor(ctx.random() * (n - 1));
        if (j >= i) j++; // j uniform over the other n - 1 targets
        const a = targets[i]!;
        const b = targets[j]!;
        return load(b) < load(a) ? b : a;
      },
    };
  },
});
