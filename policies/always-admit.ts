/** always-admit: no admission control; every request goes straight to routing. */
import { definePolicy } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'always-admit',
  kind: 'admission',
  description: 'Admit everything.',
  create() {
    return { admit: () => 'admit' as const };
  },
});
