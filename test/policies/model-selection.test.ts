import { describe, expect, it } from 'vitest';
import modelSelection from '../../policies/model-selection.ts';
import type { RouteContext, TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

const quality = { small: 0.6, medium: 0.75, large: 0.9 };
const bars = { chat: 0, code: 0.7, legal: 0.85, oracle: 0.95 };

runPolicyContract(modelSelection, { quality: { t0: 0.5, t1: 0.8 } });
runPolicyContract(modelSelection, { quality, bars });

// Price = inputPerMTok + outputPerMTok.
const large = makeTarget(0, { models: ['large'], inputPerMTok: 10, outputPerMTok: 30 }); // 40
const small = makeTarget(1, { models: ['small'], inputPerMTok: 0.5, outputPerMTok: 1.5 }); // 2
const mediumA = makeTarget(2, { models: ['medium'], inputPerMTok: 3, outputPerMTok: 6 }); // 9
const mediumB = makeTarget(3, { models: ['medium'], inputPerMTok: 2, outputPerMTok: 5 }); // 7
const all = [large, small, mediumA, mediumB];

function setup(q: Record<string, number> = quality) {
  const policy = modelSelection.create({ quality: q, bars }, fakeContext().ctx);
  return (className: string, targets: TargetView[] = all, context: RouteContext = FIRST_ATTEMPT) =>
    (policy.route(makeRequest({ className }), targets, context) as TargetView).index;
}

describe('model-selection', () => {
  it('routes a class to the cheapest model meeting its bar (default 0)', () => {
    const pick = setup();
    expect(pick('chat')).toBe(1); // small, 2
    expect(pick('unlisted')).toBe(1);
    expect(pick('code')).toBe(3); // medium at 7 beats medium at 9 and large at 40
    expect(pick('legal')).toBe(0);
  });

  it('takes the best model (cheapest among equals) when none meets the bar', () => {
    const pick = setup();
    expect(pick('oracle')).toBe(0);
    expect(pick('oracle', [small, mediumA, mediumB])).toBe(3);
  });

  it('on a retry, escalates to the next better model than the previous attempt', () => {
    const pick = setup();
    const retry = (previous: TargetView): RouteContext => ({ attempt: 1, previous });
    expect(pick('chat', all, retry(small))).toBe(3); // small -> cheapest medium
    expect(pick('chat', all, retry(mediumA))).toBe(0); // medium -> large
    expect(pick('chat', all, retry(large))).toBe(0); // nothing better: stays on the best
    expect(pick('chat', [small, mediumA], retry(mediumB))).toBe(2); // nothing better: the best there is
    // attempt 0 ignores `previous`
    expect(pick('chat', all, { attempt: 0, previous: large })).toBe(1);
  });

  it('scores a target by its best listed model, then its name, else 0; ties go to the first', () => {
    const pick = setup({ ...quality, t5: 0.8 });
    const multi = makeTarget(4, { models: ['small', 'large'], inputPerMTok: 20, outputPerMTok: 30 }); // 0.9, 50
    const named = makeTarget(5, { models: ['unknown'], inputPerMTok: 4, outputPerMTok: 4 }); // 0.8 by name, 8
    const unknown = makeTarget(6, { models: ['mystery'], inputPerMTok: 0, outputPerMTok: 0 }); // 0, free
    expect(pick('legal', [multi, named, unknown])).toBe(4);
    expect(pick('code', [multi, named, unknown])).toBe(5);
    expect(pick('chat', [multi, named, unknown])).toBe(6);
    const twin = makeTarget(7, { models: ['medium'], inputPerMTok: 2, outputPerMTok: 5 });
    expect(pick('code', [twin, mediumB])).toBe(7);
  });
});
