/**
 * Starts the autoscaler of every GPU pool whose scenario config has an `autoscaling` section,
 * each on its own random stream (provisioning delays), so no other draw shifts.
 */
import type { Scheduler } from '../engine/clock.ts';
import type { RngStreams } from '../engine/rng.ts';
import type { PoolAutoscaler } from '../providers/gpu/autoscaler.ts';
import { autoscalerFor, gpuPoolOf } from '../providers/gpu/autoscaler-for.ts';
import { NodePool } from '../providers/gpu/node-pool.ts';
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
    const autoscaler = autoscalerFor(
      provider,
      config.autoscaling,
      scheduler,
      streams.get(`provider/${config.name}/autoscaler`),
    );
    if (autoscaler && config.nodePool)
      gpuPoolOf(provider)!.useNodes(
        new NodePool(
          config.nodePool,
          config.tensorParallel,
          scheduler,
          streams.get(`provider/${config.name}/nodes`),
        ),
      );
    autoscaler?.start();
    return autoscaler;
  });
}
