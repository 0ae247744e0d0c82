/**
 * The autoscaler of a GPU pool: an HPA (autoscaler.ts) or KEDA in front of one (keda.ts), as the
 * scenario's `autoscaling.kind` says.
 */
import type { Scheduler } from '../../engine/clock.ts';
import type { Random } from '../../engine/rng.ts';
import type { AutoscalingConfig } from '../../scenario/schema.ts';
import { FaultyProvider } from '../faults/faulty-provider.ts';
import type { Provider } from '../provider.ts';
import { PoolAutoscaler } from './autoscaler.ts';
import { GpuPool } from './gpu-pool.ts';
import { KedaAutoscaler } from './keda.ts';

/**
 * An autoscaler for `provider` when it is a GPU pool (itself, or inside its fault wrapper);
 * undefined for any other provider. Callers outside the providers never see the pool itself.
 */
export function autoscalerFor(
  provider: Provider,
  config: AutoscalingConfig,
  scheduler: Scheduler,
  rng: Random,
): PoolAutoscaler | undefined {
  const pool = gpuPoolOf(provider);
  if (!pool) return undefined;
  const Autoscaler = config.kind === 'keda' ? KedaAutoscaler : PoolAutoscaler;
  return new Autoscaler(pool, config, pool.capacity, scheduler, rng);
}

/** The GPU pool `provider` is (itself, or inside its fault wrapper); undefined for any other. */
export function gpuPoolOf(provider: Provider): GpuPool | undefined {
  if (provider instanceof GpuPool) return provider;
  if (provider instanceof FaultyProvider && provider.inner instanceof GpuPool) return provider.inner;
  return undefined;
}
