import { describe, expect, it } from 'vitest';
import { applyLimitChange, limitFunction, limitStep } from '../../src/gateway/limit-functions.ts';

/**
 * Netflix concurrency-limits Log10RootIntFunctionTest, Log10RootFunctionTest and
 * SquareRootFunctionTest (concurrency-limits-core, commit 78a74b9, 2026-01-12), one block per
 * source test. `Log10RootIntFunction.create(0)` is `log10`; `SquareRootFunction.create(4)` is
 * `{ fn: sqrt, atLeast: 4 }` (the source's baseline is a floor: max(baseline, sqrt L)).
 */
describe('limit functions: Netflix function tests', () => {
  // Log10RootFunctionTest (the deprecated Function<Integer, Integer> form) asserts the same numbers.
  for (const source of ['Log10RootIntFunctionTest', 'Log10RootFunctionTest']) {
    it(`${source}.test0Index`, () => expect(limitStep('log10', 0)).toBe(1));
    it(`${source}.testInRange`, () => expect(limitStep('log10', 100)).toBe(2));
    it(`${source}.testOutofLookupRange`, () => expect(limitStep('log10', 10000)).toBe(4));
  }

  const sqrt4 = { fn: 'sqrt', times: 1, atLeast: 4 } as const;
  it('SquareRootFunctionTest.confirm0Index', () => expect(limitStep(sqrt4, 0)).toBe(4));
  it('SquareRootFunctionTest.confirmMaxIndex', () => expect(limitStep(sqrt4, 999)).toBe(31));
  it('SquareRootFunctionTest.confirmOutofLookupRange', () => expect(limitStep(sqrt4, 2500)).toBe(50));
});

describe('limit functions', () => {
  it('are at least 1 below 1000 and exact at powers of ten, taking the limit as an int', () => {
    expect([1, 9, 10, 99.9, 999, 1000, 9999, 10_000.5].map((l) => limitFunction('log10', l))).toEqual([
      1, 1, 1, 1, 2, 3, 3, 4,
    ]);
    expect([0, 3, 4, 999, 1000, 1024].map((l) => limitFunction('sqrt', l))).toEqual([1, 1, 2, 31, 31, 32]);
  });

  it('step: a constant, a name, or max(atLeast, times x fn); change: +- a step, or x factor', () => {
    expect(limitStep(7, 5000)).toBe(7);
    expect(limitStep({ fn: 'log10', times: 6, atLeast: 0 }, 10_000)).toBe(24);
    expect(applyLimitChange('log10', 10_000, 1)).toBe(10_004);
    expect(applyLimitChange(3, 20, -1)).toBe(17);
    expect(applyLimitChange({ factor: 0.5 }, 75, -1)).toBe(37.5);
  });
});
