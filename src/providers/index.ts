/**
 * Provider models, one folder per `kind`. Reading guide: provider.ts (the contract),
 * attempt.ts (what flows through it), then queue/ (the simplest model), api/, and gpu/
 * (catalog.ts, time-model.ts, replica.ts, gpu-pool.ts).
 */
import type { Scheduler } from '../engine/clock.ts';
import type { RngStreams } from '../engine/rng.ts';
import type { ProviderConfig } from '../scenario/schema.ts';
import { ApiProvider } from './api/index.ts';
import { FaultyProvider } from './faults/faulty-provider.ts';
import { GpuPool } from './gpu/gpu-pool.ts';
import { resolveGpuSetup } from './gpu/setup.ts';
import type { AttemptSink, Provider } from './provider.ts';
import { QueueProvider } from './queue/index.ts';

export type { Attempt, AttemptStatus } from './attempt.ts';
export type { AttemptSink, Provider } from './provider.ts';

/**
 * Builds the provider a config describes, with its own random streams, under the fault wrapper
 * (outage, hang, error rate and stream cut apply the same way to every kind).
 */
export function createProvider(
  config: ProviderConfig,
  scheduler: Scheduler,
  sink: AttemptSink,
  streams: RngStreams,
): Provider {
  const rng = streams.get(`provider/${config.name}`);
  const faultRng = streams.get(`provider/${config.name}/faults`);
  switch (config.kind) {
    case 'queue':
      return new FaultyProvider(
        (s, faults) => new QueueProvider(config, scheduler, s, rng, faults),
        scheduler,
        sink,
        faultRng,
      );
    case 'api':
      return new FaultyProvider(
        (s, faults) => new ApiProvider(config, scheduler, s, rng, faults),
        scheduler,
        sink,
        faultRng,
        { answerMs: config.rtt },
      );
    case 'gpu':
      return new FaultyProvider(
        (s, faults) => new GpuPool(resolveGpuSetup(config), scheduler, s, rng, faults),
        scheduler,
        sink,
        faultRng,
      );
  }
}
