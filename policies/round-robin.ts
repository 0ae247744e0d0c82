/**
 * round-robin: targets in turn, skipping none. The simplest policy, and the template to copy.
 * Tie-break: not needed; the cursor walks the class's target list in order.
 */
import { definePolicy, reject } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'round-robin',
  kind: 'routing',
  description: 'Each target in turn.',
  create() {
    let cursor = 0;
    return {
      route(_req, targets) {
        if (targets.length === 0) return reject('no-target');
        const target = targets[cursor % targets.length]!;
        cursor = (cursor + 1) % 1_000_000_007;
        return target;
      },
    };
  },
});
