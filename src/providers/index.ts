/**
 * Provider models, one folder per `kind`. Reading guide: provider.ts (the contract),
 * attempt.ts (what flows through it), then queue/ (the simplest model), api/, and gpu/
 * (catalog.ts, time-model.ts, replica.ts, gpu-pool.ts).
 */
import type { Scheduler } from '../engine/clock.ts';
import type { RngStreams } from '../engine/rng.ts';
import type { ProviderConfig } from '../scenario/schema.ts';
import { ApiProvider } from './api/index.ts';
import { GpuPool } from './gpu/gpu-pool.ts';
import { resolveGpuSetup } from './gpu/setup.ts';
import type { AttemptSink, Provider } from './provider.ts';
import { QueueProvider } from './queue/index.ts';

export type { Attempt, AttemptStatus } from './attempt.ts';
export type { AttemptSink, Provider } from './provider.ts';

/** Builds the provider a config describes, with its own random streams. */
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
      return new QueueProvider(config, scheduler, sink, rng, faultRng);
    case 'api':
      return new ApiProvider(config, scheduler, sink, rng, faultRng);
    case 'gpu':
      return new GpuPool(resolveGpuSetup(config), scheduler, sink, rng, faultRng);
  }
}
