/**
 * least-outstanding: the target with the fewest attempts this gateway has in flight (LiteLLM's
 * least-busy, Envoy's least-request with all hosts compared). Ties go to the earliest target in
 * the list, which makes the choice deterministic.
 */
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'least-outstanding',
  kind: 'routing',
  description: 'Fewest in-flight attempts; ties to the first.',
  create() {
    return {
      route(_req, targets) {
        let best = targets[0];
        if (!best) return reject('no-target');
        for (let i = 1; i < targets.length; i++) if (targets[i]!.inFlight < best.inFlight) best = targets[i]!;
        return best;
      },
    };
  },
});
