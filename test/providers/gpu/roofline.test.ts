/**
 * Physics the timing models must respect, and the memory arithmetic of the catalog.
 *
 * Floors (independent of time-model.ts): an iteration reads the weights it uses and the KV cache
 * of the context it attends over, so it takes at least (active weight bytes + KV bytes) / (HBM
 * bandwidth x TP); and it computes 2 x active params FLOPs per token, so it takes at least
 * 2 x active params x tokens / (peak FLOP/s x TP). For dense models the active weights are all
 * of them; a mixture-of-experts token reads at least its active experts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GPUS,
  kvBytesPerToken,
  kvCapacityTokens,
  MODELS,
  weightBytesPerGpu,
} from '../../../src/providers/gpu/catalog.ts';
import { FITTED_COEFFICIENTS } from '../../../src/providers/gpu/setup.ts';
import {
  allReduceBytesPerToken,
  allReduceMsPerToken,
  fittedModel,
  type IterationWork,
  physicalFloorMs,
  rooflineModel,
} from '../../../src/providers/gpu/time-model.ts';
import { makePool } from './gpu-harness.ts';

const TPS = [1, 2, 4, 8] as const;
const COMBOS = Object.keys(MODELS).flatMap((model) =>
  Object.keys(GPUS).flatMap((gpu) => TPS.map((tp) => ({ model, gpu, tp }))),
);

/** Lower bounds in ms for `w` on `tp` GPUs, computed here from the catalog's raw figures. */
function floors(modelName: string, gpuName: string, tp: number, w: IterationWork) {
  const m = MODELS[modelName]!;
  const g = GPUS[gpuName]!;
  const kvPerToken = 2 * m.layers * m.kvHeads * m.headDim * 2;
  const bytes = m.activeParamsB * 1e9 * m.bytesPerWeight + kvPerToken * w.decodeContext;
  const tokens = w.prefillTokens + w.decodeSeqs;
  return {
    memoryMs: (1000 * bytes) / (g.bandwidthTBps * 1e12 * tp),
    computeMs: (1000 * 2 * m.activeParamsB * 1e9 * tokens) / (g.bf16Tflops * 1e12 * tp),
  };
}

/** Random iteration work: some decoding sequences with contexts up to 32k each, some prefill. */
const workArb: fc.Arbitrary<IterationWork> = fc
  .record({
    decodeSeqs: fc.integer({ min: 0, max: 512 }),
    meanContext: fc.integer({ min: 1, max: 32_768 }),
    prefillTokens: fc.integer({ min: 0, max: 16_384 }),
    before: fc.integer({ min: 0, max: 32_768 }),
  })
  .filter((r) => r.decodeSeqs + r.prefillTokens > 0)
  .map((r) => ({
    decodeSeqs: r.decodeSeqs,
    decodeContext: r.decodeSeqs * r.meanContext,
    prefillTokens: r.prefillTokens,
    prefillAttention: r.prefillTokens * (r.before + r.prefillTokens / 2),
  }));

const rooflineOptionsArb = fc.record(
  {
    memoryEfficiency: fc.double({ min: 0.05, max: 1, noNaN: true }),
    stepOverheadMs: fc.double({ min: 0, max: 2, noNaN: true }),
    layerOverheadMs: fc.double({ min: 0, max: 0.1, noNaN: true }),
    seqOverheadMs: fc.double({ min: 0, max: 0.01, noNaN: true }),
    allReduceBaseMs: fc.double({ min: 0, max: 0.1, noNaN: true }),
    allReducePerDoublingMs: fc.double({ min: 0, max: 0.1, noNaN: true }),
  },
  { requiredKeys: [] },
);

describe('the roofline model', () => {
  it('never decodes faster than the HBM bandwidth reads the active weights and the KV cache, nor computes faster than peak FLOP/s, for every catalog model x GPU x TP in {1, 2, 4, 8}', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...COMBOS),
        workArb,
        rooflineOptionsArb,
        ({ model, gpu, tp }, w, options) => {
          const ms = rooflineModel(MODELS[model]!, GPUS[gpu]!, tp, options).iterationMs(w);
          const floor = floors(model, gpu, tp, w);
          expect(ms).toBeGreaterThanOrEqual(floor.memoryMs);
          expect(ms).toBeGreaterThanOrEqual(floor.computeMs);
        },
      ),
      { numRuns: 2000, seed: 424_242 },
    );
  });

  it('reads every weight a dense model stores in a pure decode step: time >= weight bytes per GPU / HBM bandwidth', () => {
    for (const { model, gpu, tp } of COMBOS) {
      const m = MODELS[model]!;
      if (m.activeParamsB !== m.totalParamsB) continue;
      const roofline = rooflineModel(m, GPUS[gpu]!, tp);
      for (const seqs of [1, 8, 64, 256]) {
        const ms = roofline.iterationMs({
          prefillTokens: 0,
          prefillAttention: 0,
          decodeSeqs: seqs,
          decodeContext: 0,
        });
        expect(ms, `${model} ${gpu} tp${tp} batch ${seqs}`).toBeGreaterThanOrEqual(
          (1000 * weightBytesPerGpu(m, tp)) / (GPUS[gpu]!.bandwidthTBps * 1e12),
        );
      }
    }
  });

  it('takes a mixture-of-experts batch of 4 or more tokens to read all its experts', () => {
    const m = MODELS['mixtral-8x7b']!;
    const g = GPUS['h100-80gb']!;
    const w = { prefillTokens: 0, prefillAttention: 0, decodeSeqs: 4, decodeContext: 0 };
    expect(rooflineModel(m, g, 2).iterationMs(w)).toBeGreaterThanOrEqual(
      (1000 * weightBytesPerGpu(m, 2)) / (g.bandwidthTBps * 1e12),
    );
  });

  it('prefills 8192 tokens of llama-3.1-70b on 4 H100s no faster than 2 x 70.6e9 x 8192 FLOPs at 4 x 989.5 TFLOP/s (292 ms)', () => {
    const ms = rooflineModel(MODELS['llama-3.1-70b']!, GPUS['h100-80gb']!, 4).iterationMs({
      prefillTokens: 8192,
      prefillAttention: 8192 ** 2 / 2,
      decodeSeqs: 0,
      decodeContext: 0,
    });
    const peakMs = (1000 * 2 * 70.6e9 * 8192) / (989.5e12 * 4);
    expect(peakMs).toBeCloseTo(292.2, 1);
    expect(ms).toBeGreaterThanOrEqual(peakMs);
    // At the catalog's prefill MFU (0.45) it is at least peak / 0.45.
    expect(ms).toBeGreaterThanOrEqual(peakMs / 0.45);
  });

  it('moves every token over the interconnect under tensor parallelism: 2 all-reduces x 80 layers x 8192 x 2 bytes x 2 x 7/8 = 4.59 MB a token of Llama-2-70B at TP 8, 15.3 us on NVLink at 300 GB/s (A100); nothing at TP 1 or without a link', () => {
    const m = MODELS['llama-2-70b']!;
    const a100 = GPUS['a100-80gb']!;
    expect(allReduceBytesPerToken(m, 8)).toBe(2 * 80 * 8192 * 2 * 2 * (7 / 8));
    expect(allReduceBytesPerToken(m, 1)).toBe(0);
    expect(allReduceMsPerToken(m, a100, 8)).toBeCloseTo(0.0153, 4);
    const w = (tokens: number): IterationWork => ({
      prefillTokens: tokens,
      prefillAttention: (tokens * tokens) / 2,
      decodeSeqs: 0,
      decodeContext: 0,
    });
    const noLink = { ...a100, interconnectGBps: undefined };
    for (const tokens of [512, 8192]) {
      const linked = rooflineModel(m, a100, 8).iterationMs(w(tokens));
      const unlinked = rooflineModel(m, noLink, 8).iterationMs(w(tokens));
      expect(linked - unlinked).toBeCloseTo(tokens * allReduceMsPerToken(m, a100, 8), 9);
    }
    const small = MODELS['llama-3.1-8b']!;
    expect(rooflineModel(small, a100, 1).iterationMs(w(4096))).toBe(
      rooflineModel(small, noLink, 1).iterationMs(w(4096)),
    );
  });

  it('agrees with physicalFloorMs on both floors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...COMBOS), workArb, ({ model, gpu, tp }, w) => {
        const mine = floors(model, gpu, tp, w);
        const theirs = physicalFloorMs(MODELS[model]!, GPUS[gpu]!, tp, w);
        expect(theirs.memoryMs).toBeCloseTo(mine.memoryMs, 9);
        expect(theirs.computeMs).toBeCloseTo(mine.computeMs, 9);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('the shipped fitted models', () => {
  const fits = Object.entries(FITTED_COEFFICIENTS).map(([key, k]) => {
    const [model, gpu, tpPart] = key.split('/') as [string, string, string];
    const tp = Number(tpPart.slice(2));
    return { key, model, gpu, tp, k, kvTokens: kvCapacityTokens(MODELS[model]!, GPUS[gpu]!, tp, 0.9) };
  });

  it('respect both floors for any batch a replica can hold (up to 256 sequences, contexts within its KV cache)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fits),
        fc.integer({ min: 0, max: 256 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 8192 }),
        ({ model, gpu, tp, k, kvTokens }, seqs, fill, prefill) => {
          fc.pre(seqs + prefill > 0);
          const w: IterationWork = {
            decodeSeqs: seqs,
            decodeContext: Math.floor(Math.min(kvTokens, seqs * 4096) * fill),
            prefillTokens: prefill,
            prefillAttention: (prefill * prefill) / 2,
          };
          const ms = fittedModel(k).iterationMs(w);
          const floor = floors(model, gpu, tp, w);
          expect(ms).toBeGreaterThanOrEqual(floor.memoryMs);
          expect(ms).toBeGreaterThanOrEqual(floor.computeMs);
        },
      ),
      { numRuns: 1000, seed: 99 },
    );
  });
});

describe('KV cache arithmetic', () => {
  it('stores 128 KiB per token for Llama-3-8B and 320 KiB for Llama-3-70B and Llama-2-70B', () => {
    expect(kvBytesPerToken(MODELS['llama-3.1-8b']!)).toBe(128 * 1024);
    expect(kvBytesPerToken(MODELS['llama-3.1-70b']!)).toBe(320 * 1024);
    expect(kvBytesPerToken(MODELS['llama-2-70b']!)).toBe(320 * 1024);
  });

  it('holds about 427k tokens of Llama-3-8B on one H100 at 0.9 memory utilization: (72 GB - 16.06 GB) / 128 KiB', () => {
    const tokens = kvCapacityTokens(MODELS['llama-3.1-8b']!, GPUS['h100-80gb']!, 1, 0.9);
    expect(Math.abs(tokens - 427_000) / 427_000).toBeLessThanOrEqual(0.1);
    expect(tokens).toBe(Math.floor((80e9 * 0.9 - 8.03e9 * 2) / 131_072));
    expect(tokens).toBe(426_788);
  });

  it('gives a pool replica that capacity rounded down to whole 16-token blocks', () => {
    const { pool } = makePool({ timing: 'auto' });
    expect(pool.schedulerOptions.kvBlocks).toBe(Math.floor(426_788 / 16));
    expect(pool.kvCapacityTokens).toBe(426_784);
    expect(pool.schedulerOptions.watermarkBlocks).toBe(Math.floor(26_674 * 0.01));
  });

  it('multiplies the free memory by tensor parallelism: Llama-2-70B on 2 H100s holds (144 GB - 138 GB) / 320 KiB tokens, on one none', () => {
    const m = MODELS['llama-2-70b']!;
    const g = GPUS['h100-80gb']!;
    expect(kvCapacityTokens(m, g, 2, 0.9)).toBe(Math.floor((2 * 72e9 - 138e9) / 327_680));
    expect(kvCapacityTokens(m, g, 1, 0.9)).toBe(0);
  });
});
