/**
 * Iteration time models: how long one scheduler iteration (one forward pass over the batch)
 * takes, from what the batch holds. Two forms:
 *
 * - roofline: max(compute time, memory time) with efficiency factors, plus per-step overheads
 *   and tensor-parallel all-reduces (a latency per all-reduce, and each token's bytes over the
 *   GPUs' interconnect). Physics with a few measured fudge factors: a lower bound that tracks
 *   shape (batch, context, prompt length, TP) but not every kernel's inefficiency.
 * - fitted: t = a + c x decodeSeqs + d x decodeContext + max(f, g + b x prefillTokens + e x
 *   prefillAttention + s x (prompts - 1) + h x tokens beyond the knee) when the batch prefills,
 *   coefficients fitted to measurements (fit.ts): prefill follows the total tokens of the batch,
 *   as measured (Splitwise: 16 prompts of 512 tokens take about what one of 8192 does). With
 *   e = f = g = 0 it is the DistServe-style linear model; e captures attention's quadratic cost in
 *   long prompts, f the floor of a prefill iteration (short prompts do not fill the GPU, and vLLM
 *   replays CUDA graphs for pure decode batches only, so a prefill pays eager-mode launches), g
 *   the intercept of the compute-bound part (may be negative: it only applies above the floor).
 */
import { type GpuProfile, kvBytesPerToken, type ModelProfile } from './catalog.ts';

/** What one iteration processes. */
export interface IterationWork {
  /** Prompt tokens prefilled in this iteration (all chunks). */
  prefillTokens: number;
  /** Attention work of those prefills: sum over chunks of chunk x (tokens before it + chunk / 2). */
  prefillAttention: number;
  /** Sequences prefilling (a prompt or a chunk of one) in this iteration; absent: one if any. */
  prefillSeqs?: number;
  /** Sequences producing one token each. */
  decodeSeqs: number;
  /** Sum of the context lengths those sequences attend over. */
  decodeContext: number;
}

export interface IterationTimeModel {
  readonly kind: 'roofline' | 'fitted';
  /** Milliseconds for one iteration doing `w`. */
  iterationMs(w: IterationWork): number;
  /**
   * iterationMs of a decode-only iteration (nothing prefills), to the last bit: the same
   * operations in the same order, without a work record (a replica planning decode iterations
   * ahead asks this once per planned iteration).
   */
  decodeOnlyMs(decodeSeqs: number, decodeContext: number): number;
  /**
   * decodeOnlyMs of `count` decode-only iterations k0, k0 + 1, ... of `decodeSeqs` sequences
   * whose context in iteration k is baseSum + decodeSeqs x k: out[i] for iteration k0 + i.
   */
  decodeRunMs(decodeSeqs: number, baseSum: number, k0: number, count: number, out: Float64Array): void;
}

/** decodeRunMs by decodeOnlyMs, one iteration at a time. */
function decodeRunByIteration(
  m: Pick<IterationTimeModel, 'decodeOnlyMs'>,
  decodeSeqs: number,
  baseSum: number,
  k0: number,
  count: number,
  out: Float64Array,
): void {
  for (let i = 0; i < count; i++) out[i] = m.decodeOnlyMs(decodeSeqs, baseSum + decodeSeqs * (k0 + i));
}

export interface RooflineOptions {
  /** Fraction of peak HBM bandwidth reached (default 0.8). */
  memoryEfficiency: number;
  /** Fixed cost per iteration (scheduling, launch), ms. BLIS fitted about 0.126 ms. */
  stepOverheadMs: number;
  /** Per layer per iteration, ms. BLIS fitted about 0.032 ms. */
  layerOverheadMs: number;
  /** Per sequence in the batch, ms. BLIS fitted about 0.004 ms. */
  seqOverheadMs: number;
  /**
   * One all-reduce (two per layer under tensor parallelism), ms, as a + b x log2(TP). Default
   * 0.02 + 0.04 log2 TP, read off the splitwise H100 Llama-2-70B decode times at TP 2/4/8.
   */
  allReduceBaseMs: number;
  allReducePerDoublingMs: number;
}

export const ROOFLINE_DEFAULTS: RooflineOptions = {
  memoryEfficiency: 0.8,
  stepOverheadMs: 0.126,
  layerOverheadMs: 0.032,
  seqOverheadMs: 0.004,
  allReduceBaseMs: 0.02,
  allReducePerDoublingMs: 0.04,
};

export function rooflineModel(
  model: ModelProfile,
  gpu: GpuProfile,
  tensorParallel: number,
  options: Partial<RooflineOptions> = {},
): IterationTimeModel {
  const o = { ...ROOFLINE_DEFAULTS, ...options };
  const activeParams = model.activeParamsB * 1e9;
  const attentionFlopsPerPair = 4 * model.layers * model.hiddenSize; // QK^T and AV, 2 FLOPs each
  const peak = gpu.bf16Tflops * 1e12 * tensorParallel; // FLOP/s across the replica
  // Reached FLOP/s, computed once (the same products the formula below would form each time).
  const prefillPeak = peak * gpu.mfuPrefill;
  const decodePeak = peak * gpu.mfuDecode;
  const bandwidth = gpu.bandwidthTBps * 1e12 * tensorParallel * o.memoryEfficiency; // bytes/s
  const kvBytes = kvBytesPerToken(model);
  const activeWeightBytes = activeParams * model.bytesPerWeight;
  const totalWeightBytes = model.totalParamsB * 1e9 * model.bytesPerWeight;
  const allReduceMs =
    tensorParallel > 1
      ? 2 * model.layers * (o.allReduceBaseMs + o.allReducePerDoublingMs * Math.log2(tensorParallel))
      : 0;
  const fixedMs = o.stepOverheadMs + o.layerOverheadMs * model.layers + allReduceMs;
  // The all-reduces also move every token's hidden vector over the interconnect, in series with
  // the GEMMs (vLLM does not overlap them): the cost that keeps TP 8 prefill from scaling.
  const linkMsPerToken = allReduceMsPerToken(model, gpu, tensorParallel);
  return {
    kind: 'roofline',
    iterationMs(w) {
      const tokens = w.prefillTokens + w.decodeSeqs;
      if (tokens === 0) return 0;
      const decodeFlops = 2 * activeParams * w.decodeSeqs + attentionFlopsPerPair * w.decodeContext;
      let computeMs = (1000 * decodeFlops) / decodePeak;
      // A pure decode step adds a prefill term of exactly 0: skip its division.
      if (w.prefillTokens !== 0 || w.prefillAttention !== 0 || !(prefillPeak > 0)) {
        const prefillFlops = 2 * activeParams * w.prefillTokens + attentionFlopsPerPair * w.prefillAttention;
        computeMs = (1000 * prefillFlops) / prefillPeak + computeMs;
      }
      // A mixture-of-experts batch touches more experts as it grows; from a few tokens on, all.
      const weightBytes =
        totalWeightBytes === activeWeightBytes || tokens >= 4
          ? totalWeightBytes
          : activeWeightBytes + ((totalWeightBytes - activeWeightBytes) * (tokens - 1)) / 3;
      const memoryMs = (1000 * (weightBytes + kvBytes * w.decodeContext)) / bandwidth;
      return (
        fixedMs +
        o.seqOverheadMs * (w.decodeSeqs + (w.prefillTokens > 0 ? 1 : 0)) +
        Math.max(computeMs, memoryMs) +
        linkMsPerToken * tokens
      );
    },
    decodeOnlyMs(decodeSeqs, decodeContext) {
      // iterationMs with prefillTokens = prefillAttention = 0, its operations kept as they are.
      const tokens = 0 + decodeSeqs;
      if (tokens === 0) return 0;
      const decodeFlops = 2 * activeParams * decodeSeqs + attentionFlopsPerPair * decodeContext;
      let computeMs = (1000 * decodeFlops) / decodePeak;
      if (!(prefillPeak > 0)) {
        const prefillFlops = 2 * activeParams * 0 + attentionFlopsPerPair * 0;
        computeMs = (1000 * prefillFlops) / prefillPeak + computeMs;
      }
      const weightBytes =
        totalWeightBytes === activeWeightBytes || tokens >= 4
          ? totalWeightBytes
          : activeWeightBytes + ((totalWeightBytes - activeWeightBytes) * (tokens - 1)) / 3;
      const memoryMs = (1000 * (weightBytes + kvBytes * decodeContext)) / bandwidth;
      return (
        fixedMs + o.seqOverheadMs * (decodeSeqs + 0) + Math.max(computeMs, memoryMs) + linkMsPerToken * tokens
      );
    },
    decodeRunMs(decodeSeqs, baseSum, k0, count, out) {
      if (count <= 0) return;
      const tokens = 0 + decodeSeqs;
      const weightBytes =
        totalWeightBytes === activeWeightBytes || tokens >= 4
          ? totalWeightBytes
          : activeWeightBytes + ((totalWeightBytes - activeWeightBytes) * (tokens - 1)) / 3;
      const firstMemoryMs = (1000 * (weightBytes + kvBytes * (baseSum + decodeSeqs * k0))) / bandwidth;
      const lastComputeMs =
        (1000 *
          (2 * activeParams * decodeSeqs +
            attentionFlopsPerPair * (baseSum + decodeSeqs * (k0 + count - 1)))) /
        decodePeak;
      // Memory-bound over the whole run (decode almost always is): every rounded operation is
      // monotonic in the context, so the memory time at the first context above the compute time
      // at the last makes the max the memory time in every iteration, and the compute time need
      // not be computed. Otherwise (or with the prefill term in play): one at a time.
      if (tokens === 0 || !(prefillPeak > 0) || !(firstMemoryMs > lastComputeMs)) {
        decodeRunByIteration(this, decodeSeqs, baseSum, k0, count, out);
        return;
      }
      const before = fixedMs + o.seqOverheadMs * (decodeSeqs + 0);
      const after = linkMsPerToken * tokens;
      for (let i = 0; i < count; i++) {
        const memoryMs = (1000 * (weightBytes + kvBytes * (baseSum + decodeSeqs * (k0 + i)))) / bandwidth;
        out[i] = before + memoryMs + after;
      }
    },
  };
}

/**
 * Coefficients of the fitted model: a (ms per iteration), b (ms per prefill token), c (ms per
 * decoding sequence), d (ms per context token attended in decode), e (ms per prefill token pair),
 * f (least ms the prefill part of an iteration takes), g (intercept of its compute-bound part),
 * h (ms more per prefill token beyond `knee` tokens in the iteration: efficiency drops once the
 * batch's activations outgrow the kernels' sweet spot), s (ms per prompt beyond the first in a
 * prefill iteration). h, knee and s default to 0 (older fits have none).
 */
export interface FittedCoefficients {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
  g: number;
  h?: number;
  knee?: number;
  s?: number;
}

/** The prefill part of an iteration under fitted coefficients (0 when nothing prefills). */
export function fittedPrefillMs(k: FittedCoefficients, w: IterationWork): number {
  const tokens = w.prefillTokens;
  if (tokens <= 0) return 0;
  const seqs = w.prefillSeqs ?? 1;
  const beyond = k.h ? k.h * Math.max(0, tokens - (k.knee ?? 0)) : 0;
  return Math.max(
    k.f,
    k.g + k.b * tokens + k.e * w.prefillAttention + (k.s ?? 0) * Math.max(0, seqs - 1) + beyond,
  );
}

export function fittedModel(k: FittedCoefficients): IterationTimeModel {
  return {
    kind: 'fitted',
    iterationMs(w) {
      if (w.prefillTokens + w.decodeSeqs === 0) return 0;
      return k.a + fittedPrefillMs(k, w) + k.c * w.decodeSeqs + k.d * w.decodeContext;
    },
    decodeOnlyMs(decodeSeqs, decodeContext) {
      // iterationMs with nothing prefilling: its prefill term is 0.
      if (0 + decodeSeqs === 0) return 0;
      return k.a + 0 + k.c * decodeSeqs + k.d * decodeContext;
    },
    decodeRunMs(decodeSeqs, baseSum, k0, count, out) {
      decodeRunByIteration(this, decodeSeqs, baseSum, k0, count, out);
    },
  };
}

/**
 * Bytes each GPU sends per prefill token in tensor-parallel all-reduces: two per layer (after
 * attention and after the MLP, Megatron-style) of one hidden vector in bf16, of which a ring
 * all-reduce sends 2 (TP - 1) / TP from every GPU.
 */
export function allReduceBytesPerToken(model: ModelProfile, tensorParallel: number): number {
  if (tensorParallel < 2) return 0;
  return (2 * model.layers * model.hiddenSize * 2 * 2 * (tensorParallel - 1)) / tensorParallel;
}

/**
 * Least ms per prefill token those all-reduces take at the GPU's interconnect bandwidth (0 when
 * the profile gives none). A cost that follows the link, not the FLOP/s.
 */
export function allReduceMsPerToken(model: ModelProfile, gpu: GpuProfile, tensorParallel: number): number {
  if (!gpu.interconnectGBps) return 0;
  return (1000 * allReduceBytesPerToken(model, tensorParallel)) / (gpu.interconnectGBps * 1e9);
}

/** The lower bounds any honest model respects (used by the sanity tests). */
export function physicalFloorMs(
  model: ModelProfile,
  gpu: GpuProfile,
  tensorParallel: number,
  w: IterationWork,
): { memoryMs: number; computeMs: number } {
  const bytes =
    (model.activeParamsB * 1e9 * model.bytesPerWeight + kvBytesPerToken(model) * w.decodeContext) /
    tensorParallel;
  const flops = (2 * model.activeParamsB * 1e9 * (w.prefillTokens + w.decodeSeqs)) / tensorParallel;
  return {
    memoryMs: (1000 * bytes) / (gpu.bandwidthTBps * 1e12),
    computeMs: (1000 * flops) / (gpu.bf16Tflops * 1e12),
  };
}
