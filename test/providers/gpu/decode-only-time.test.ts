/**
 * `decodeOnlyMs` and `decodeRunMs` (what a replica asks for the decode iterations it plans ahead)
 * are `iterationMs` of decode-only iterations to the last bit, for every time model: planned runs
 * must end at the very times the iterations would end one by one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transferredModel } from '../../../src/providers/gpu/calibration.ts';
import { GPUS, MODELS } from '../../../src/providers/gpu/catalog.ts';
import { FITTED_COEFFICIENTS } from '../../../src/providers/gpu/setup.ts';
import {
  fittedModel,
  type IterationTimeModel,
  rooflineModel,
} from '../../../src/providers/gpu/time-model.ts';

const MODELS_UNDER_TEST: [string, IterationTimeModel][] = [
  ...Object.keys(MODELS).flatMap((m) =>
    Object.keys(GPUS).flatMap((g) =>
      [1, 2, 8].map((tp): [string, IterationTimeModel] => [
        `roofline ${m}/${g}/tp${tp}`,
        rooflineModel(MODELS[m]!, GPUS[g]!, tp),
      ]),
    ),
  ),
  // A GPU without prefill efficiency: the prefill term is 0 / 0 there, as in iterationMs.
  [
    'roofline, mfuPrefill 0',
    rooflineModel(MODELS['llama-3.1-8b']!, { ...GPUS['h100-80gb']!, mfuPrefill: 0 }, 1),
  ],
  ...Object.entries(FITTED_COEFFICIENTS).map(([key, k]): [string, IterationTimeModel] => [
    `fitted ${key}`,
    fittedModel(k),
  ]),
];

describe('decodeOnlyMs', () => {
  it('equals iterationMs of the same decode-only work, bit for bit', () => {
    const [first, second] = Object.values(FITTED_COEFFICIENTS);
    const h100 = rooflineModel(MODELS['llama-3.1-8b']!, GPUS['h100-80gb']!, 1);
    const a100 = rooflineModel(MODELS['llama-3.1-8b']!, GPUS[Object.keys(GPUS)[0]!]!, 1);
    const models = [
      ...MODELS_UNDER_TEST,
      ['transferred', transferredModel(first!, second!, a100, h100)] as const,
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1024 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (seqs, context) => {
          for (const [name, m] of models) {
            const work = {
              prefillTokens: 0,
              prefillAttention: 0,
              prefillSeqs: 0,
              decodeSeqs: seqs,
              decodeContext: context,
            };
            expect(Object.is(m.decodeOnlyMs(seqs, context), m.iterationMs(work)), name).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodeRunMs gives each iteration of a run its decodeOnlyMs, bit for bit', () => {
    const out = new Float64Array(128);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1024 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 128 }),
        (seqs, firstContext, k0, count) => {
          // Context in iteration k is baseSum + seqs x k (baseSum may be negative).
          const baseSum = firstContext - seqs * k0;
          const wrong: string[] = [];
          for (const [name, m] of MODELS_UNDER_TEST) {
            m.decodeRunMs(seqs, baseSum, k0, count, out);
            for (let i = 0; i < count; i++)
              if (!Object.is(out[i], m.decodeOnlyMs(seqs, baseSum + seqs * (k0 + i))))
                wrong.push(`${name} #${i}`);
          }
          expect(wrong).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
