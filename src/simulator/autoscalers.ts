/**
 * Starts the autoscaler of every GPU pool whose scenario config has an `autoscaling` section,
 * each on its own random stream (provisioning delays), so no other draw shifts.
 */
import type { Scheduler } from '../engine/clock.ts';
import type { RngStreams } from '../engine/rng.ts';
import { FaultyProvider } from '../providers/faults/faulty-provider.ts';
import { PoolAutoscaler } from '../providers/gpu/autoscaler.ts';
import { GpuPool } from '../providers/gpu/gpu-pool.ts';
import type { Provider } from '../providers/provider.ts';
import type { Scenario } from '../scenario/schema.ts';

/** The autoscaler per provider, in scenario order (undefined: a fixed pool or another kind). */
export function startAutoscalers(
  scheduler: Scheduler,
  scenario: Scenario,
  providers: readonly Provider[],
  streams: RngStreams,
): (PoolAutoscaler | undefined)[] {
  return providers.map((provider, i) => {
    const config = scenario.providers[i]!;
    if (config.kind !== 'gpu' || !config.autoscaling) return undefined;
    const pool = gpuPoolOf(provider);
    if (!pool) return undefined;
    const autoscaler = new PoolAutoscaler(
      pool,
      config.autoscaling,
      config.replicas,
      scheduler,
      streams.get(`provider/${config.name}/autoscaler`),
    );
    autoscaler.start();
    return autoscaler;
  });
}

/** The GPU pool behind a provider (itself, or inside its fault wrapper). */
export function gpuPoolOf(provider: Provider): GpuPool | undefined {
  if (provider instanceof GpuPool) return provider;
  if (provider instanceof FaultyProvider && provider.inner instanceof GpuPool) return provider.inner;
  return undefined;
}
