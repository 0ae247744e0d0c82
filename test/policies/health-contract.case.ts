/**
 * The contract a health policy passes (runPolicyContract in src/testing/policy-contract.case.ts
 * covers routing and admission only: given a health policy it calls `admit`). Checks what the
 * gateway relies on: `allows` answers a boolean, allows every target it has heard nothing about,
 * accepts outcomes of every status without throwing, and answers the same for the same history.
 */
import { describe, expect, it } from 'vitest';
import type { HealthPolicy, PolicyDefinition } from '../../src/gateway/policy.ts';
import { ATTEMPT_STATUSES } from '../../src/metrics/recorder.ts';
import { fakeContext, makeOutcome, makeTarget } from '../../src/testing/policy-contract.case.ts';

export function runHealthContract(definition: PolicyDefinition, params: unknown = {}): void {
  const parsed = definition.params ? definition.params.parse(params) : params;
  describe(`${definition.name} (health policy contract)`, () => {
    const make = () => {
      const { ctx, advance } = fakeContext();
      return { policy: definition.create(parsed as never, ctx) as HealthPolicy, advance };
    };

    it('has a kebab-case name and kind health', () => {
      expect(definition.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(definition.kind).toBe('health');
    });

    it('allows every target it has no outcome for', () => {
      const { policy } = make();
      for (let i = 0; i < 5; i++) expect(policy.allows(makeTarget(i))).toBe(true);
    });

    it('accepts outcomes of every status and keeps answering booleans', () => {
      const { policy, advance } = make();
      const targets = [0, 1, 2].map((i) => makeTarget(i));
      for (let round = 0; round < 30; round++) {
        for (const status of ATTEMPT_STATUSES)
          for (const t of targets) {
            expect(() => policy.onOutcome?.(makeOutcome(t, { status, startMs: round * 100 }))).not.toThrow();
            expect(typeof policy.allows(t)).toBe('boolean');
          }
        advance(100);
      }
    });

    it('is deterministic for the same history', () => {
      const a = make();
      const b = make();
      const targets = [0, 1, 2, 3].map((i) => makeTarget(i));
      const answers = (h: ReturnType<typeof make>) => {
        const out: boolean[] = [];
        for (let step = 0; step < 200; step++) {
          const t = targets[step % 4]!;
          const status = ATTEMPT_STATUSES[(step * 7) % ATTEMPT_STATUSES.length]!;
          h.policy.onOutcome?.(makeOutcome(t, { status, startMs: step * 50 }));
          out.push(h.policy.allows(t));
          h.advance(50);
        }
        return out;
      };
      expect(answers(a)).toEqual(answers(b));
    });
  });
}
