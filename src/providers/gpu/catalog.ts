/**
 * The model and hardware catalog: data, not code paths. A scenario names an entry
 * (`model: llama-3.1-8b`, `gpu: h100-80gb`) or writes its own profile inline with the same fields.
 * Every number's source is in catalog.md beside this file.
 */

/** A transformer as the timing and memory models need it. */
export interface ModelProfile {
  /** Parameters read per token (all of them for dense models; the active experts for MoE). */
  activeParamsB: number;
  /** Parameters stored in GPU memory (= active for dense models). */
  totalParamsB: number;
  layers: number;
  hiddenSize: number;
  kvHeads: number;
  headDim: number;
  /** 2 for bf16/fp16, 1 for fp8/int8. */
  bytesPerWeight: number;
  /** Longest context the model accepts (prompt + output). */
  contextWindow: number;
}

/** One accelerator. */
export interface GpuProfile {
  /** HBM capacity in GB (10^9 bytes). */
  memoryGB: number;
  /** HBM bandwidth in TB/s (10^12 bytes/s). */
  bandwidthTBps: number;
  /** Dense bf16 tensor throughput in TFLOP/s. */
  bf16Tflops: number;
  /** Model FLOPs utilization reached in prefill and in decode (BLIS hardware_config.json). */
  mfuPrefill: number;
  mfuDecode: number;
  /**
   * GPU-to-GPU bandwidth within a replica, GB/s each way (NVLink; PCIe where a GPU has none).
   * Prices tensor-parallel all-reduces per token when a fit moves to another GPU; absent: none.
   */
  interconnectGBps?: number;
}

export const MODELS: Readonly<Record<string, ModelProfile>> = {
  'llama-3.1-8b': {
    activeParamsB: 8.03,
    totalParamsB: 8.03,
    layers: 32,
    hiddenSize: 4096,
    kvHeads: 8,
    headDim: 128,
    bytesPerWeight: 2,
    contextWindow: 131_072,
  },
  'llama-3.1-70b': {
    activeParamsB: 70.6,
    totalParamsB: 70.6,
    layers: 80,
    hiddenSize: 8192,
    kvHeads: 8,
    headDim: 128,
    bytesPerWeight: 2,
    contextWindow: 131_072,
  },
  'llama-2-70b': {
    activeParamsB: 69,
    totalParamsB: 69,
    layers: 80,
    hiddenSize: 8192,
    kvHeads: 8,
    headDim: 128,
    bytesPerWeight: 2,
    contextWindow: 4096,
  },
  'mixtral-8x7b': {
    activeParamsB: 12.9,
    totalParamsB: 46.7,
    layers: 32,
    hiddenSize: 4096,
    kvHeads: 8,
    headDim: 128,
    bytesPerWeight: 2,
    contextWindow: 32_768,
  },
  'llama-3.2-1b': {
    activeParamsB: 1.24,
    totalParamsB: 1.24,
    layers: 16,
    hiddenSize: 2048,
    kvHeads: 8,
    headDim: 64,
    bytesPerWeight: 2,
    contextWindow: 131_072,
  },
};

export const GPUS: Readonly<Record<string, GpuProfile>> = {
  'a100-80gb': {
    memoryGB: 80,
    bandwidthTBps: 2.039,
    bf16Tflops: 312,
    mfuPrefill: 0.55,
    mfuDecode: 0.18,
    interconnectGBps: 300,
  },
  'h100-80gb': {
    memoryGB: 80,
    bandwidthTBps: 3.35,
    bf16Tflops: 989.5,
    mfuPrefill: 0.45,
    mfuDecode: 0.3,
    interconnectGBps: 450,
  },
  h200: {
    memoryGB: 141,
    bandwidthTBps: 4.8,
    bf16Tflops: 989.5,
    mfuPrefill: 0.45,
    mfuDecode: 0.3,
    interconnectGBps: 450,
  },
  l40s: {
    memoryGB: 48,
    bandwidthTBps: 0.864,
    bf16Tflops: 362,
    mfuPrefill: 0.4,
    mfuDecode: 0.25,
    interconnectGBps: 32,
  },
};

/** Bytes of KV cache per token: 2 (K and V) x layers x KV heads x head dim x 2 bytes (bf16). */
export function kvBytesPerToken(m: ModelProfile, kvBytesPerValue = 2): number {
  return 2 * m.layers * m.kvHeads * m.headDim * kvBytesPerValue;
}

/** Bytes of weights one GPU holds under tensor parallelism. */
export function weightBytesPerGpu(m: ModelProfile, tensorParallel: number): number {
  return (m.totalParamsB * 1e9 * m.bytesPerWeight) / tensorParallel;
}

/**
 * KV-cache capacity of one replica in tokens: (memory x utilization x TP - weights) / KV bytes
 * per token, as vLLM sizes it (gpu_memory_utilization, default 0.9). Activations and CUDA graphs
 * are ignored (they are small next to the cache at these sizes).
 * Example: Llama-3-8B on one H100 at 0.9: (72 GB - 16.06 GB) / 128 KiB = 426.8k tokens.
 */
export function kvCapacityTokens(
  m: ModelProfile,
  g: GpuProfile,
  tensorParallel: number,
  memoryUtilization: number,
): number {
  const free =
    g.memoryGB * 1e9 * memoryUtilization * tensorParallel - m.totalParamsB * 1e9 * m.bytesPerWeight;
  return Math.max(0, Math.floor(free / kvBytesPerToken(m)));
}
