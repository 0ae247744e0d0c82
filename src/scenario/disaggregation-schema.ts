/**
 * The `disaggregation:` block of a GPU pool (`kind: gpu`): disaggregated prefill and decode, as
 * vLLM's P/D connectors, llm-d and Mooncake run it. The pool's own `replicas`, `gpu` and
 * `tensorParallel` are the decode pool; `prefill` declares the prefill pool (its GPU type and
 * tensor parallelism default to the decode pool's). A request the decider disaggregates prefills
 * on a prefill replica, its KV cache moves to a decode replica (which must first find room for
 * it), and the decode replica streams its tokens. Physics and sources: docs/concepts/disaggregation.md.
 *
 * schema.ts owns the unit helpers; it hands them in, so this module adds no second copy.
 */
import { z } from 'zod';
import { GPUS, type GpuProfile, kvCapacityTokens, type ModelProfile } from '../providers/gpu/catalog.ts';

/** What schema.ts lends this module: its strict object, units and the GPU catalog reference. */
export interface DisaggregationSchemaParts {
  obj: <S extends z.ZodRawShape>(shape: S) => z.ZodObject<S, z.core.$strict>;
  duration: () => z.ZodType<number, unknown>;
  positiveInt: (max?: number) => z.ZodType<number, unknown>;
  money: () => z.ZodType<number, unknown>;
  gpuProfile: z.ZodType<string | GpuProfileInput, unknown>;
  maxTokens: number;
}

type GpuProfileInput = Omit<GpuProfile, 'mfuPrefill' | 'mfuDecode'> & {
  mfuPrefill: number;
  mfuDecode: number;
};

/**
 * Default KV link: 50 GB/s, one 400 Gb/s NIC per GPU (the DGX H100 layout Splitwise's clusters
 * assume, Patel et al. ISCA'24), and 0.5 ms per transfer. The 0.5 ms is the intercept of
 * Mooncake's vLLM connector measurements (1P1D Qwen3-8B over 8 x 200 Gb/s RoCE: 20 MB in
 * 0.54 ms, 4.5 GB in 31.65 ms, i.e. ~144 GB/s and ~0.4 ms), rounded up for a one-NIC path.
 */
export const DEFAULT_TRANSFER_BANDWIDTH_GBPS = 50;
export const DEFAULT_TRANSFER_LATENCY_MS = 0.5;

export function disaggregationSchema(p: DisaggregationSchemaParts) {
  return p.obj({
    /** `false` turns it off: the pool serves colocated on `replicas` (the contrast at equal config). */
    enabled: z.boolean().default(true),
    prefill: p.obj({
      /** Prefill replicas (each of `tensorParallel` GPUs). */
      replicas: p.positiveInt(10_000),
      /** GPU type of the prefill replicas; default: the pool's. */
      gpu: p.gpuProfile.optional(),
      /** Default: the pool's. */
      tensorParallel: p.positiveInt(1024).optional(),
      /** USD per prefill replica-hour; default: the pool's costPerReplicaHour. */
      costPerReplicaHour: p.money().optional(),
    }),
    /** The KV link from a prefill replica to a decode replica: time = KV bytes / bandwidth + latency. */
    transfer: p
      .obj({
        bandwidthGBps: z
          .number({ error: () => 'expected a bandwidth in GB/s (a number > 0)' })
          .positive()
          .max(100_000)
          .default(DEFAULT_TRANSFER_BANDWIDTH_GBPS),
        latency: p.duration().default(DEFAULT_TRANSFER_LATENCY_MS),
      })
      .prefault({}),
    /**
     * Which requests are disaggregated: `always`, or those whose prompt has at least
     * `minUncachedPromptTokens` tokens not in the chosen decode replica's prefix cache (shorter
     * ones prefill on the decode replica, as llm-d's P/D decider does).
     */
    decider: z
      .union([z.literal('always'), p.obj({ minUncachedPromptTokens: p.positiveInt(p.maxTokens) })], {
        error: () => "expected 'always' or { minUncachedPromptTokens: N }",
      })
      .default('always'),
  });
}

export type DisaggregationConfig = z.output<ReturnType<typeof disaggregationSchema>>;

/** The fields of a validated GPU pool that the checks below read. */
interface PoolShape {
  name: string;
  model: ModelProfile | (Omit<ModelProfile, 'totalParamsB'> & { totalParamsB?: number | undefined }) | string;
  gpu: GpuProfile | string;
  tensorParallel: number;
  replicas: number;
  expose: string;
  scheduler: { memoryUtilization: number; kvBlocks?: number | undefined; blockSize: number };
  autoscaling?: unknown;
  disaggregation?: DisaggregationConfig | undefined;
}

type Issue = (path: PropertyKey[], message: string) => void;

/**
 * A disaggregated pool is exposed as one pool, fixed in size, its prefill replicas fit the
 * model, and its decode replicas hold a request the decider sends them. `model` is the
 * pool's model as a profile (the catalog's, or the inline one completed).
 */
export function disaggregationReferences(
  pool: PoolShape,
  model: ModelProfile,
  path: PropertyKey[],
  issue: Issue,
): void {
  const d = pool.disaggregation;
  if (!d?.enabled) return;
  const at = [...path, 'disaggregation'];
  if (pool.expose !== 'pool')
    issue(
      [...path, 'expose'],
      "expected 'expose: pool' on a disaggregated pool (the pool pairs a prefill replica with a decode replica itself), got 'replicas'",
    );
  if (pool.autoscaling !== undefined)
    issue(
      [...path, 'autoscaling'],
      "expected no autoscaler on a disaggregated pool (it would scale one pool, and a prefill pool and a decode pool need one each), got one: remove 'autoscaling' or 'disaggregation'",
    );
  const gpu = d.prefill.gpu ?? pool.gpu;
  const profile = typeof gpu === 'string' ? GPUS[gpu] : gpu;
  if (!profile) return; // the GPU reference itself is already reported
  const tp = d.prefill.tensorParallel ?? pool.tensorParallel;
  const tokens = kvCapacityTokens(model, profile, tp, pool.scheduler.memoryUtilization);
  if (tokens < pool.scheduler.blockSize) {
    const weightsGB = (model.totalParamsB * model.bytesPerWeight).toFixed(1);
    const usableGB = (profile.memoryGB * pool.scheduler.memoryUtilization * tp).toFixed(1);
    issue(
      [...at, 'prefill', 'tensorParallel'],
      `expected the model to fit on a prefill replica with room for a KV cache: ${weightsGB} GB of weights in ${usableGB} GB usable at tensorParallel ${tp}; raise tensorParallel, got ${tp}`,
    );
  }
  if (typeof d.decider === 'object') {
    const decodeKv =
      pool.scheduler.kvBlocks !== undefined
        ? pool.scheduler.kvBlocks * pool.scheduler.blockSize
        : typeof pool.gpu === 'string' && !GPUS[pool.gpu]
          ? Number.POSITIVE_INFINITY
          : kvCapacityTokens(
              model,
              typeof pool.gpu === 'string' ? GPUS[pool.gpu]! : pool.gpu,
              pool.tensorParallel,
              pool.scheduler.memoryUtilization,
            );
    if (decodeKv < d.decider.minUncachedPromptTokens + 1)
      issue(
        [...at, 'decider', 'minUncachedPromptTokens'],
        `expected a threshold whose requests fit a decode replica's KV cache (${decodeKv.toLocaleString('en-US')} tokens): every request the decider disaggregates would be refused; lower it or give the decode replicas more KV (kvBlocks, tensorParallel), got ${d.decider.minUncachedPromptTokens.toLocaleString('en-US')}`,
      );
  }
}
